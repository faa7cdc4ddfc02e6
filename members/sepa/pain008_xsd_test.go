package sepa

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const pain008XSD = "testdata/pain.008.001.08.xsd"

// xmllintPath finds xmllint; in CI a missing validator must fail the build,
// otherwise the schema tests would silently stop checking anything.
func xmllintPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("xmllint not found but CI is set; install libxml2-utils: %v", err)
		}
		t.Skip("xmllint not found (apt-get install libxml2-utils); skipping XSD validation")
	}
	return p
}

// validateXSD runs xmllint against the schema and returns its output and
// whether the document was accepted.
func validateXSD(t *testing.T, lint string, doc []byte) (string, bool) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "pain008.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--noout", "--schema", pain008XSD, f).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run xmllint: %v", err)
		}
		return string(out), false
	}
	return string(out), true
}

func TestPain008ValidatesAgainstXSD(t *testing.T) {
	lint := xmllintPath(t)
	oneNoBIC := sampleDocument(1)
	oneNoBIC.Debits[0].DebtorBIC = ""
	oneNoBIC.Creditor.BIC = ""
	noRemittance := sampleDocument(3)
	for i := range noRemittance.Debits {
		noRemittance.Debits[i].Remittance = ""
	}
	allSeq := sampleDocument(8)
	allSeq.Debits[7].Sequence = SeqFinal
	tests := []struct {
		name string
		doc  Document
	}{
		{"one debit with BIC", sampleDocument(1)},
		{"one debit without any BIC", oneNoBIC},
		{"FRST and RCUR mixed with umlauts", sampleDocument(6)},
		{"all sequence types", allSeq},
		{"without remittance", noRemittance},
		{"many debits", sampleDocument(1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := writeDoc(t, tt.doc)
			if out, ok := validateXSD(t, lint, doc); !ok {
				t.Fatalf("xmllint rejected the document:\n%s", out)
			}
		})
	}
}

// TestPain008XSDRejectsBrokenDocuments proves the schema checks something:
// each hand-broken variant of a valid document must be rejected.
func TestPain008XSDRejectsBrokenDocuments(t *testing.T) {
	lint := xmllintPath(t)
	valid := string(writeDoc(t, sampleDocument(2)))
	tests := []struct {
		name     string
		old, new string
	}{
		// MndtId itself is optional (0..1) in ISO 20022 - only the EPC
		// rulebook makes it mandatory, and checkDebit enforces that - so the
		// schema is tested with elements ISO makes mandatory.
		{"missing EndToEndId", "<EndToEndId>FEE-2026-000001</EndToEndId>", ""},
		{"missing ReqdColltnDt", "<ReqdColltnDt>2026-12-15</ReqdColltnDt>", ""},
		{"missing debtor IBAN", "<IBAN>GB82WEST12345698765432</IBAN>", ""},
		{"Dbtr before DbtrAgt", "<DbtrAgt>", "<Dbtr><Nm>X</Nm></Dbtr><DbtrAgt>"},
		{"BIC instead of BICFI", "<BICFI>COBADEFFXXX</BICFI>", "<BIC>COBADEFFXXX</BIC>"},
		{"unknown sequence type", "<SeqTp>FRST</SeqTp>", "<SeqTp>XXXX</SeqTp>"},
		{"payment method TRF", "<PmtMtd>DD</PmtMtd>", "<PmtMtd>TRF</PmtMtd>"},
		{"amount without currency", `<InstdAmt Ccy="EUR">`, `<InstdAmt>`},
		{"lower case IBAN country", "<IBAN>DE89", "<IBAN>de89"},
		{"message id too long", "<MsgId>MSG-2026-12-07-0001</MsgId>", "<MsgId>" + strings.Repeat("M", 36) + "</MsgId>"},
		{"wrong namespace", "pain.008.001.08\"", "pain.008.001.02\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(valid, tt.old) {
				t.Fatalf("test is stale: document lacks %q", tt.old)
			}
			broken := strings.Replace(valid, tt.old, tt.new, 1)
			if out, ok := validateXSD(t, lint, []byte(broken)); ok {
				t.Fatalf("xmllint accepted a broken document:\n%s", out)
			}
		})
	}
	// And the unbroken document is accepted, so the rejections above are
	// due to the breakage.
	if out, ok := validateXSD(t, lint, bytes.Clone([]byte(valid))); !ok {
		t.Fatalf("valid document rejected:\n%s", out)
	}
}
