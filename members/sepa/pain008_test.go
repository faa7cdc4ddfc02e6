package sepa

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parsedPain008 reads back what the tests need, by local name.
type parsedPain008 struct {
	XMLName xml.Name `xml:"Document"`
	NS      string   `xml:"xmlns,attr"`
	GrpHdr  struct {
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
	} `xml:"CstmrDrctDbtInitn>GrpHdr"`
	PmtInf []struct {
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
		SeqTp   string `xml:"PmtTpInf>SeqTp"`
		Txs     []struct {
			EndToEndID string `xml:"PmtId>EndToEndId"`
			Amount     struct {
				Ccy   string `xml:"Ccy,attr"`
				Value string `xml:",chardata"`
			} `xml:"InstdAmt"`
			MndtID string `xml:"DrctDbtTx>MndtRltdInf>MndtId"`
			BICFI  string `xml:"DbtrAgt>FinInstnId>BICFI"`
			Othr   string `xml:"DbtrAgt>FinInstnId>Othr>Id"`
			Name   string `xml:"Dbtr>Nm"`
			IBAN   string `xml:"DbtrAcct>Id>IBAN"`
		} `xml:"DrctDbtTxInf"`
	} `xml:"CstmrDrctDbtInitn>PmtInf"`
}

func writeDoc(t *testing.T, d Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePain008(&buf, d); err != nil {
		t.Fatalf("WritePain008: %v", err)
	}
	return buf.Bytes()
}

func TestWritePain008ParseBack(t *testing.T) {
	for _, n := range []int{1, 2, 7, 250} {
		d := sampleDocument(n)
		var p parsedPain008
		if err := xml.Unmarshal(writeDoc(t, d), &p); err != nil {
			t.Fatalf("n=%d: parse back: %v", n, err)
		}
		if p.NS != Pain008Namespace {
			t.Errorf("namespace %q", p.NS)
		}
		var total int64
		for _, db := range d.Debits {
			total += db.Amount
		}
		if p.GrpHdr.NbOfTxs != itoa(n) || p.GrpHdr.CtrlSum != FormatCents(total) {
			t.Errorf("n=%d: GrpHdr %s/%s; want %d/%s", n, p.GrpHdr.NbOfTxs, p.GrpHdr.CtrlSum, n, FormatCents(total))
		}
		seen, lastOrder := 0, -1
		byID := map[string]Debit{}
		for _, db := range d.Debits {
			byID[db.EndToEndID] = db
		}
		for _, pi := range p.PmtInf {
			order := sequenceIndex(SequenceType(pi.SeqTp))
			if order <= lastOrder {
				t.Errorf("n=%d: PmtInf %s out of order", n, pi.SeqTp)
			}
			lastOrder = order
			var sum int64
			for _, tx := range pi.Txs {
				db, ok := byID[tx.EndToEndID]
				if !ok {
					t.Fatalf("unknown EndToEndId %q", tx.EndToEndID)
				}
				if string(db.Sequence) != pi.SeqTp {
					t.Errorf("%s in %s block; want %s", tx.EndToEndID, pi.SeqTp, db.Sequence)
				}
				if tx.Amount.Ccy != "EUR" || tx.Amount.Value != FormatCents(db.Amount) {
					t.Errorf("%s amount %s %s; want EUR %s", tx.EndToEndID, tx.Amount.Ccy, tx.Amount.Value, FormatCents(db.Amount))
				}
				if tx.MndtID != db.MandateRef || tx.IBAN != NormalizeIBAN(db.DebtorIBAN) {
					t.Errorf("%s mandate/IBAN %s/%s", tx.EndToEndID, tx.MndtID, tx.IBAN)
				}
				if (db.DebtorBIC == "") != (tx.Othr == "NOTPROVIDED" && tx.BICFI == "") || (db.DebtorBIC != "" && tx.BICFI != db.DebtorBIC) {
					t.Errorf("%s agent BICFI=%q Othr=%q; BIC %q", tx.EndToEndID, tx.BICFI, tx.Othr, db.DebtorBIC)
				}
				if tx.Name != ToSEPAText(db.DebtorName, 70) {
					t.Errorf("%s name %q", tx.EndToEndID, tx.Name)
				}
				sum += db.Amount
				seen++
			}
			if pi.NbOfTxs != itoa(len(pi.Txs)) || pi.CtrlSum != FormatCents(sum) {
				t.Errorf("PmtInf %s: %s/%s; want %d/%s", pi.SeqTp, pi.NbOfTxs, pi.CtrlSum, len(pi.Txs), FormatCents(sum))
			}
		}
		if seen != n {
			t.Errorf("n=%d: %d transactions written", n, seen)
		}
	}
}

func TestWritePain008Content(t *testing.T) {
	out := string(writeDoc(t, sampleDocument(2)))
	for _, want := range []string{
		`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"`,
		`<CreDtTm>2026-12-07T09:30:00</CreDtTm>`,
		`<ReqdColltnDt>2026-12-15</ReqdColltnDt>`,
		`<Nm>Turnverein Koeln-Sued e.V.</Nm>`,
		`<Nm>Juergen Mueller</Nm>`,
		`<InstdAmt Ccy="EUR">10.00</InstdAmt>`,
		`<Id>NOTPROVIDED</Id>`,
		`<BICFI>COBADEFFXXX</BICFI>`,
		`<Ustrd>Mitgliedsbeitrag 2027 Nr. 1000 Uebungsleiter</Ustrd>`,
		`<Id>DE98ZZZ09999999999</Id>`,
		`<PmtInfId>MSG-2026-12-07-0001-FRST</PmtInfId>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

func TestWritePain008Invalid(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Document)
		debit  int
		field  string
		is     error
	}{
		{"no debits", func(d *Document) { d.Debits = nil }, -1, "Debits", nil},
		{"message id too long", func(d *Document) { d.MessageID = strings.Repeat("M", 36) }, -1, "MessageID", nil},
		{"no collection date", func(d *Document) { d.Collection = time.Time{} }, -1, "Collection", nil},
		{"creditor id", func(d *Document) { d.Creditor.ID = "DE97ZZZ09999999999" }, -1, "Creditor.ID", ErrCreditorIDChecksum},
		{"creditor IBAN", func(d *Document) { d.Creditor.IBAN = "DE89370400440532013001" }, -1, "Creditor.IBAN", ErrIBANChecksum},
		{"debtor IBAN", func(d *Document) { d.Debits[2].DebtorIBAN = "XX89370400440532013000" }, 2, "DebtorIBAN", ErrIBANCountry},
		{"debtor BIC", func(d *Document) { d.Debits[1].DebtorBIC = "NOTABIC" }, 1, "DebtorBIC", ErrBIC},
		{"zero amount", func(d *Document) { d.Debits[0].Amount = 0 }, 0, "Amount", nil},
		{"negative amount", func(d *Document) { d.Debits[3].Amount = -5 }, 3, "Amount", nil},
		{"mandate ref", func(d *Document) { d.Debits[2].MandateRef = "" }, 2, "MandateRef", ErrMandateReference},
		{"mandate date", func(d *Document) { d.Debits[2].MandateSigned = time.Time{} }, 2, "MandateSigned", nil},
		{"mandate signed after collection", func(d *Document) { d.Debits[1].MandateSigned = d.Collection.AddDate(0, 0, 1) }, 1, "MandateSigned", errSignedLate},
		{"end to end id", func(d *Document) { d.Debits[1].EndToEndID = "Ä" }, 1, "EndToEndID", nil},
		{"sequence", func(d *Document) { d.Debits[3].Sequence = "RPRE" }, 3, "Sequence", nil},
		{"name", func(d *Document) { d.Debits[0].DebtorName = "  " }, 0, "DebtorName", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleDocument(4)
			tt.change(&d)
			var buf bytes.Buffer
			err := WritePain008(&buf, d)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			if fe.Debit != tt.debit || fe.Field != tt.field {
				t.Fatalf("error names debit %d %s; want %d %s (%v)", fe.Debit, fe.Field, tt.debit, tt.field, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v does not wrap %v", err, tt.is)
			}
			if buf.Len() != 0 {
				t.Fatalf("%d bytes written for an invalid document", buf.Len())
			}
		})
	}
}

// TestWritePain008FirstErrorWins checks that parallel validation reports
// the lowest failing debit, as a sequential loop would.
func TestWritePain008FirstErrorWins(t *testing.T) {
	d := sampleDocument(5000)
	for _, i := range []int{4990, 3001, 1234, 2500} {
		d.Debits[i].Amount = 0
	}
	d.Debits[4000].DebtorIBAN = "XX00"
	for range 5 {
		err := WritePain008(io.Discard, d)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Debit != 1234 || fe.Field != "Amount" {
			t.Fatalf("error = %v; want debit 1234 Amount", err)
		}
	}
}

func TestWritePain008SharedAccount(t *testing.T) {
	d := sampleDocument(600)
	for i := range d.Debits {
		d.Debits[i].DebtorIBAN = "de89 3704 0044 0532 0130 00"
	}
	d.Debits[599].DebtorIBAN = "de89 3704 0044 0532 0130 01"
	var fe *FieldError
	if err := WritePain008(io.Discard, d); !errors.As(err, &fe) || fe.Debit != 599 || !errors.Is(err, ErrIBANChecksum) {
		t.Fatalf("error = %v; want debit 599 DebtorIBAN checksum", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWritePain008WriteError(t *testing.T) {
	if err := WritePain008(failingWriter{}, sampleDocument(3)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("error = %v; want the writer's error", err)
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{{0, "0.00"}, {5, "0.05"}, {50, "0.50"}, {3500, "35.00"}, {123450, "1234.50"}, {99999999999, "999999999.99"}, {-250, "-2.50"}}
	for _, tt := range tests {
		if got := FormatCents(tt.in); got != tt.want {
			t.Errorf("FormatCents(%d) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
