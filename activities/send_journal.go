package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"membership/members"
)

// SendJournal keeps the outcomes of a batch's sends that are not in the database yet: one file
// per batch, a line appended per send the moment its provider answers. A batch then writes its
// outcomes to the database once, at its end, and removes its file; a process killed before
// that leaves the file, and the next start settles what it holds before any batch sends again.
// So a crash repeats only the sends truly in flight (their provider may have taken them), not
// every send since the last database write, at one write(2) per send instead of a transaction
// per few.
//
// The lines are not fsynced: they outlive the process, not the machine — as the SQLite app
// database's own commits (synchronous=NORMAL in WAL mode) do. The journal is for one process
// owning its data folder: on PostgreSQL another process may retry a batch before this one is
// back to settle its file, so serve opens none there (see Notices.Journal).
type SendJournal struct {
	dir string

	mu sync.Mutex
	// orphans are files whose outcomes may not all be in the database: left by an earlier
	// process, or by a batch whose final write failed.
	orphans []string
}

// journalSuffix ends the name of every journal file.
const journalSuffix = ".sends"

// OpenSendJournal opens the journal in dir, made if missing; files found there are a killed
// process's, settled by Notices.RecoverSends.
func OpenSendJournal(dir string) (*SendJournal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("send journal: %w", err)
	}
	found, err := filepath.Glob(filepath.Join(dir, "*"+journalSuffix))
	if err != nil {
		return nil, fmt.Errorf("send journal: %w", err)
	}
	return &SendJournal{dir: dir, orphans: found}, nil
}

// journalFile is one batch's file.
type journalFile struct {
	mu   sync.Mutex
	f    *os.File
	line []byte
}

// begin makes the file of a batch about to send.
func (j *SendJournal) begin() (*journalFile, error) {
	f, err := os.CreateTemp(j.dir, "batch-*"+journalSuffix)
	if err != nil {
		return nil, fmt.Errorf("send journal: %w", err)
	}
	return &journalFile{f: f}, nil
}

// record appends o as one line: id, status, provider message id, error code and message,
// tab-separated, the strings quoted (so neither tabs nor newlines in them split a line). A
// send about to be handed to its provider is recorded first with the status "sending": a file
// left by a kill tells the sends in flight — those that may have gone and go once more — from
// those never begun.
func (jf *journalFile) record(o members.NoticeOutcome) error {
	jf.mu.Lock()
	defer jf.mu.Unlock()
	b := strconv.AppendInt(jf.line[:0], o.ID, 10)
	b = append(b, '\t')
	b = append(b, o.Status...)
	b = append(b, '\t')
	b = strconv.AppendQuote(b, o.ProviderMessageID)
	b = append(b, '\t')
	b = strconv.AppendQuote(b, o.ErrorCode)
	b = append(b, '\t')
	b = strconv.AppendQuote(b, o.ErrorMessage)
	b = append(b, '\n')
	jf.line = b
	if _, err := jf.f.Write(b); err != nil {
		return fmt.Errorf("send journal %s: %w", jf.f.Name(), err)
	}
	return nil
}

// end closes jf: removed when its outcomes are in the database (settled), else kept for
// settleOrphans.
func (j *SendJournal) end(jf *journalFile, settled bool) error {
	err := jf.f.Close()
	if !settled {
		j.mu.Lock()
		j.orphans = append(j.orphans, jf.f.Name())
		j.mu.Unlock()
		return err
	}
	return errors.Join(err, os.Remove(jf.f.Name()))
}

// settleOrphans writes the outcomes of every orphaned file with settle and removes the file;
// batches starting meanwhile wait, so none claims a notice whose outcome is still in a file.
// It answers how many outcomes it settled.
func (j *SendJournal) settleOrphans(ctx context.Context, settle func(context.Context, []members.NoticeOutcome) error) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for len(j.orphans) > 0 {
		name := j.orphans[0]
		outcomes, _, err := readJournal(name)
		if err != nil {
			return n, err
		}
		if err := settle(ctx, outcomes); err != nil {
			return n, fmt.Errorf("settle send journal %s: %w", name, err)
		}
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("send journal: %w", err)
		}
		n += len(outcomes)
		j.orphans = slices.Delete(j.orphans, 0, 1)
	}
	return n, nil
}

// readJournal reads a journal file's outcomes, and how many of its sends were handed to the
// provider without an outcome (in flight). A line it cannot read — the last one, cut off by
// the kill — is left out: that send's outcome is unknown, as a send in flight's is, and the
// notice goes once more.
func readJournal(name string) (outcomes []members.NoticeOutcome, inFlight int, err error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, 0, fmt.Errorf("send journal: %w", err)
	}
	handed := map[int64]bool{}
	for line := range strings.Lines(string(data)) {
		// A line without its newline is the one the kill cut off.
		line, whole := strings.CutSuffix(line, "\n")
		o, ok := parseJournalLine(line)
		ok = ok && whole
		switch {
		case !ok:
		case o.Status == members.NoticeSending:
			handed[o.ID] = true
		default:
			delete(handed, o.ID)
			outcomes = append(outcomes, o)
		}
	}
	return outcomes, len(handed), nil
}

// parseJournalLine reads one line record wrote.
func parseJournalLine(line string) (members.NoticeOutcome, bool) {
	var f [5]string
	for i := range 4 {
		var ok bool
		if f[i], line, ok = strings.Cut(line, "\t"); !ok {
			return members.NoticeOutcome{}, false
		}
	}
	f[4] = line
	id, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return members.NoticeOutcome{}, false
	}
	o := members.NoticeOutcome{ID: id, Status: members.NoticeStatus(f[1])}
	for i, into := range []*string{&o.ProviderMessageID, &o.ErrorCode, &o.ErrorMessage} {
		if *into, err = strconv.Unquote(f[2+i]); err != nil {
			return members.NoticeOutcome{}, false
		}
	}
	switch o.Status {
	case members.NoticeSending, members.NoticeSent, members.NoticeFailed, members.NoticeQueued:
		return o, true
	}
	return members.NoticeOutcome{}, false
}

// JournalCounts counts, in the journal in dir as a killed process left it, the outcomes a
// start will settle and the sends that were in flight (handed to the provider, no answer
// recorded): the bench tells by them which of the notices left "sending" may go twice.
func JournalCounts(dir string) (outcomes, inFlight int, err error) {
	found, err := filepath.Glob(filepath.Join(dir, "*"+journalSuffix))
	if err != nil {
		return 0, 0, fmt.Errorf("send journal: %w", err)
	}
	for _, name := range found {
		o, f, err := readJournal(name)
		if err != nil {
			return outcomes, inFlight, err
		}
		outcomes, inFlight = outcomes+len(o), inFlight+f
	}
	return outcomes, inFlight, nil
}
