package activities

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"membership/members"
	"membership/notify"
	"membership/web/i18n"
)

// defaultTexts are the message templates compiled in: texts/<lang>/<name>.sms.txt,
// <name>.email.txt (a "Subject: …" line, a blank line, the text) and optionally
// <name>.email.html (the HTML part's content), plus texts/layout.html around every HTML part.
//
//go:embed texts
var defaultTexts embed.FS

// TemplateCampaign is the template name of free text: the request's Subject and Body.
const TemplateCampaign = "campaign"

// fallbackLanguage fills in whatever a language lacks.
const fallbackLanguage = "en"

// maskedSecret replaces a secret variable in the stored copy of a message.
const maskedSecret = "******"

// Message is a rendered notice: Subject and HTML for e-mail only.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// Texts renders notices from the message templates of one language. Templates are Go
// text/template (HTML parts html/template) over the member's fields — {{.FirstName}},
// {{.LastName}}, {{.FullName}}, {{.Email}}, {{.Phone}}, {{.Plan}}, {{.Rank}}, {{.Status}},
// {{.MembershipEndsOn}}, {{.MemberID}}, {{.Club}} — and the request's Vars by name ({{.code}},
// {{.link}}, {{.amount}}, {{.due_on}} …); a variable not given renders empty.
type Texts struct {
	club, lang string
	// loc writes Values, dates and numbers in lang; byLang holds every language's texts.
	loc    *i18n.Localizer
	byLang map[string]*Texts
	sms    map[string]*template.Template
	email  map[string]emailTemplate
	layout *htmltemplate.Template
	// free holds campaigns' parsed free texts: a campaign renders the same two for every
	// recipient, and parsing them each time was a tenth of a batch's work.
	free freeTexts
}

type emailTemplate struct {
	subject, text *template.Template
	html          *htmltemplate.Template // nil: the HTML part is made from the text
}

// LoadTexts loads the message templates of every language there are texts for: the
// compiled-in ones, then the files of the same names under dir (<data_dir>/templates:
// en/welcome.sms.txt, de/fee_reminder.email.txt, layout.html …), which replace them or add new
// ones (a new folder adds a language). English fills in what a language lacks. The Texts
// returned are lang's, the club's default; In picks a member's. A missing dir is no error; a
// template that does not parse is.
func LoadTexts(club, lang, dir string) (*Texts, error) {
	sub, err := fs.Sub(defaultTexts, "texts")
	if err != nil {
		return nil, err
	}
	layers := []fs.FS{sub}
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			layers = append(layers, os.DirFS(dir))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("message templates in %s: %w", dir, err)
		}
	}
	catalog, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	langs, err := textLanguages(layers)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(langs, lang) {
		langs = append(langs, lang)
	}
	byLang := make(map[string]*Texts, len(langs))
	for _, l := range langs {
		t, err := loadLanguage(club, l, layers, catalog.Localizer(l))
		if err != nil {
			return nil, err
		}
		t.byLang = byLang
		byLang[l] = t
	}
	return byLang[lang], nil
}

// textLanguages are the language folders of the layers.
func textLanguages(layers []fs.FS) ([]string, error) {
	var langs []string
	for _, layer := range layers {
		entries, err := fs.ReadDir(layer, ".")
		if err != nil {
			return nil, fmt.Errorf("read message templates: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() && !slices.Contains(langs, e.Name()) {
				langs = append(langs, e.Name())
			}
		}
	}
	return langs, nil
}

// loadLanguage parses lang's templates over the English ones. Languages outside, layers
// inside: a file of lang compiled in beats an English one from the data folder.
func loadLanguage(club, lang string, layers []fs.FS, loc *i18n.Localizer) (*Texts, error) {
	srcs := map[string]string{}
	for _, l := range []string{"", fallbackLanguage, lang} {
		for _, layer := range layers {
			if err := readTexts(layer, l, srcs); err != nil {
				return nil, err
			}
		}
	}
	t := &Texts{club: club, lang: lang, loc: loc, sms: map[string]*template.Template{}, email: map[string]emailTemplate{}}
	if err := t.parse(srcs); err != nil {
		return nil, err
	}
	return t, nil
}

// In is the texts of lang, a member's preferred language; the club's default (these) for ""
// or a language without texts.
func (t *Texts) In(lang string) *Texts {
	if other, ok := t.byLang[lang]; ok {
		return other
	}
	return t
}

// readTexts reads the files of one language folder of fsys (lang "" is the top, for the
// layout) into srcs, keyed by file name.
func readTexts(fsys fs.FS, lang string, srcs map[string]string) error {
	dir := lang
	if dir == "" {
		dir = "."
	}
	entries, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read message templates %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || (lang == "" && name != "layout.html") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return fmt.Errorf("read message template %s: %w", filepath.Join(lang, name), err)
		}
		srcs[name] = string(b)
	}
	return nil
}

func (t *Texts) parse(srcs map[string]string) error {
	var err error
	if t.layout, err = htmltemplate.New("layout.html").Parse(srcs["layout.html"]); err != nil {
		return fmt.Errorf("message template layout.html: %w", err)
	}
	for file, src := range srcs {
		name, kind, ok := strings.Cut(file, ".")
		if !ok {
			continue
		}
		switch kind {
		case "sms.txt":
			if t.sms[name], err = parseText(file, src); err != nil {
				return err
			}
		case "email.txt":
			subject, text, ok := strings.Cut(src, "\n")
			subject, found := strings.CutPrefix(subject, "Subject:")
			if !ok || !found {
				return fmt.Errorf("message template %s: the first line must be \"Subject: …\"", file)
			}
			e := emailTemplate{}
			if e.subject, err = parseText(file+" subject", subject); err != nil {
				return err
			}
			if e.text, err = parseText(file, text); err != nil {
				return err
			}
			if h, ok := srcs[name+".email.html"]; ok {
				if e.html, err = htmltemplate.New(name + ".email.html").Option("missingkey=zero").Parse(h); err != nil {
					return fmt.Errorf("message template %s.email.html: %w", name, err)
				}
			}
			t.email[name] = e
		}
	}
	return nil
}

// parseText parses a template in which a variable not given renders empty.
func parseText(name, src string) (*template.Template, error) {
	tpl, err := template.New(name).Option("missingkey=zero").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("message template %s: %w", name, err)
	}
	return tpl, nil
}

// parseFree parses a campaign's free text, in which an unknown field is an error, so a typo
// ({{.Fistname}}) shows in the preview instead of vanishing.
func (t *Texts) parseFree(name, src string) (*template.Template, error) {
	if tpl := t.free.get(name, src); tpl != nil {
		return tpl, nil
	}
	tpl, err := parseFree(name, src)
	if err == nil {
		t.free.put(name, src, tpl)
	}
	return tpl, err
}

// freeTexts caches parsed free texts by name and source. It forgets them all when it holds
// maxFreeTexts: the live preview parses every draft an admin types.
type freeTexts struct {
	mu   sync.Mutex
	byID map[[2]string]*template.Template
}

const maxFreeTexts = 64

func (f *freeTexts) get(name, src string) *template.Template {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byID[[2]string{name, src}]
}

func (f *freeTexts) put(name, src string, tpl *template.Template) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byID == nil || len(f.byID) >= maxFreeTexts {
		f.byID = map[[2]string]*template.Template{}
	}
	f.byID[[2]string{name, src}] = tpl
}

func parseFree(name, src string) (*template.Template, error) {
	tpl, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return tpl, nil
}

// Language is the language the texts are in.
func (t *Texts) Language() string { return t.lang }

// ForMember renders req for m in m's preferred language: the message to send and the copy to
// store, with req's secrets masked.
func (t *Texts) ForMember(req NoticeRequest, m *members.Member) (msg, stored Message, err error) {
	t = t.In(m.Language)
	data, err := t.MessageData(m, req, req.Vars)
	if err != nil {
		return Message{}, Message{}, err
	}
	if msg, err = t.Render(req.Channel, req, data); err != nil || len(req.Secrets) == 0 {
		return msg, msg, err
	}
	if data, err = t.MessageData(m, req, masked(req.Vars, req.Secrets)); err != nil {
		return Message{}, Message{}, err
	}
	stored, err = t.Render(req.Channel, req, data)
	return msg, stored, err
}

// Render renders req for channel with data (see MessageData).
func (t *Texts) Render(channel string, req NoticeRequest, data map[string]string) (Message, error) {
	var subject, text *template.Template
	var html *htmltemplate.Template
	if req.Template == TemplateCampaign {
		var err error
		if text, err = t.parseFree("message", req.Body); err != nil {
			return Message{}, err
		}
		if channel == ChannelEmail {
			if subject, err = t.parseFree("subject", req.Subject); err != nil {
				return Message{}, err
			}
		}
	} else {
		switch channel {
		case ChannelSMS:
			text = t.sms[req.Template]
		case ChannelEmail:
			e := t.email[req.Template]
			subject, text, html = e.subject, e.text, e.html
		}
		if text == nil {
			return Message{}, fmt.Errorf("no %s template %q in %s", channel, req.Template, t.lang)
		}
	}
	var m Message
	var err error
	if m.Text, err = execute(text, data); err != nil {
		return Message{}, err
	}
	if channel == ChannelSMS {
		return m, nil
	}
	if m.Subject, err = execute(subject, data); err != nil {
		return Message{}, err
	}
	m.Subject = strings.Join(strings.Fields(m.Subject), " ")
	m.Text += "\n"
	if m.HTML, err = t.html(html, m, data); err != nil {
		return Message{}, err
	}
	return m, nil
}

func execute(tpl *template.Template, data map[string]string) (string, error) {
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render: %w", err)
	}
	return strings.TrimSpace(b.String()), nil
}

// html renders an e-mail's HTML part: the template's content, or the text as paragraphs, in
// the layout.
func (t *Texts) html(content *htmltemplate.Template, m Message, data map[string]string) (string, error) {
	var inner bytes.Buffer
	var err error
	if content != nil {
		err = content.Execute(&inner, data)
	} else {
		err = paragraphsHTML.Execute(&inner, paragraphs(m.Text))
	}
	if err != nil {
		return "", fmt.Errorf("render html: %w", err)
	}
	var out strings.Builder
	err = t.layout.Execute(&out, map[string]any{
		"Lang": t.lang, "Club": t.club, "Subject": m.Subject,
		"Content": htmltemplate.HTML(inner.String()), // escaped by the template that made it
	})
	if err != nil {
		return "", fmt.Errorf("render html layout: %w", err)
	}
	return out.String(), nil
}

// paragraphsHTML turns plain text into paragraphs of escaped lines; a line that is a web
// address becomes a link.
var paragraphsHTML = htmltemplate.Must(htmltemplate.New("paragraphs").Parse(
	`{{range .}}<p>{{range $i, $l := .}}{{if $i}}<br>{{end}}{{if $l.Link}}<a href="{{$l.Text}}">{{$l.Text}}</a>{{else}}{{$l.Text}}{{end}}{{end}}</p>
{{end}}`))

type line struct {
	Text string
	Link bool
}

func paragraphs(text string) [][]line {
	var out [][]line
	for p := range strings.SplitSeq(strings.TrimSpace(text), "\n\n") {
		var ls []line
		for l := range strings.SplitSeq(strings.TrimSpace(p), "\n") {
			l = strings.TrimSpace(l)
			isLink := (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) && !strings.ContainsAny(l, " \t")
			ls = append(ls, line{Text: l, Link: isLink})
		}
		if len(ls) > 0 && ls[0].Text != "" {
			out = append(out, ls)
		}
	}
	return out
}

// MessageData is what templates see: the member's fields, the club's name, req's Values
// written in the texts' language and vars (req.Vars, or a masked copy); a var or value of the
// same name as a field wins.
func (t *Texts) MessageData(m *members.Member, req NoticeRequest, vars map[string]string) (map[string]string, error) {
	data := map[string]string{"Club": t.club}
	if m != nil {
		data["MemberID"] = strconv.FormatInt(m.ID, 10)
		data["FirstName"], data["LastName"], data["FullName"] = m.FirstName, m.LastName, m.FullName()
		data["Email"], data["Phone"], data["Plan"], data["Rank"] = m.Email, m.Phone, m.Plan, m.Rank
		data["Status"] = string(m.Status)
		data["MembershipEndsOn"] = ""
		if !m.MembershipEndsOn.IsZero() {
			data["MembershipEndsOn"] = t.loc.Date(m.MembershipEndsOn.Time(time.UTC))
		}
	}
	for name, v := range req.Values {
		s, err := v.In(t.loc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		data[name] = s
	}
	maps.Copy(data, vars)
	return data, nil
}

// Preview is a notice rendered for display before it is sent: a campaign's preview shows
// what one member gets and, for SMS, what it costs.
type Preview struct {
	Channel string `json:"channel"`
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// Chars is the text's length in characters; Segments the SMS segments it takes (0 for
	// e-mail).
	Chars    int `json:"chars"`
	Segments int `json:"segments,omitempty"`
}

// Preview renders req (req.Channel, with Subject and Body for a campaign) for member m, with
// secrets masked. An error names what is wrong with the template, e.g. an unknown field.
func (t *Texts) Preview(req NoticeRequest, m *members.Member) (Preview, error) {
	data, err := t.MessageData(m, req, masked(req.Vars, req.Secrets))
	if err != nil {
		return Preview{}, err
	}
	msg, err := t.Render(req.Channel, req, data)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Channel: req.Channel, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Chars: len([]rune(msg.Text))}
	if req.Channel == ChannelSMS {
		p.Segments = notify.Segments(msg.Text)
	}
	return p, nil
}

// masked returns vars with the secrets replaced, for the stored copy of a message.
func masked(vars map[string]string, secrets []string) map[string]string {
	if len(secrets) == 0 {
		return vars
	}
	out := maps.Clone(vars)
	for _, s := range secrets {
		if _, ok := out[s]; ok {
			out[s] = maskedSecret
		}
	}
	return out
}
