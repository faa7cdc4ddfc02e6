package sepa

import (
	"fmt"
	"time"
)

// testIBANs are real-world valid IBANs from bank documentation.
var testIBANs = []string{
	"DE89370400440532013000",
	"GB82WEST12345698765432",
	"NL91ABNA0417164300",
	"AT611904300234573201",
	"FR1420041010050500013M02606",
	"CH9300762011623852957",
}

var testNames = []string{"Jürgen Müller", "Anna Schmidt", "Özlem Çelik", "Jean-René Dupont", "Groß & Söhne", "Zoë O'Neil"}

var testBICs = []string{"COBADEFFXXX", "", "ABNANL2A", "", "BNPAFRPP", "UBSWCHZH80A"}

// sampleDocument returns a document with n debits, alternating FRST and RCUR
// (every third OOFF), with and without BIC and with umlauts in names.
func sampleDocument(n int) Document {
	d := Document{
		MessageID:  "MSG-2026-12-07-0001",
		Created:    time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC),
		Collection: time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC),
		Creditor: Creditor{
			Name: "Turnverein Köln-Süd e.V.",
			ID:   "DE98ZZZ09999999999",
			IBAN: "DE89 3704 0044 0532 0130 00",
			BIC:  "COBADEFFXXX",
		},
		Debits: make([]Debit, n),
	}
	seqs := []SequenceType{SeqFirst, SeqRecurrent, SeqRecurrent, SeqOneOff}
	for i := range d.Debits {
		d.Debits[i] = Debit{
			EndToEndID:    fmt.Sprintf("FEE-2026-%06d", i+1),
			Amount:        int64(1000 + i*7%5000),
			MandateRef:    MandateReference(fmt.Sprint(1000+i), 1),
			MandateSigned: time.Date(2024, 3, 1+i%28, 0, 0, 0, 0, time.UTC),
			DebtorName:    testNames[i%len(testNames)],
			DebtorIBAN:    debtorIBAN(i),
			DebtorBIC:     testBICs[i%len(testBICs)],
			Sequence:      seqs[i%len(seqs)],
			Remittance:    fmt.Sprintf("Mitgliedsbeitrag 2027 Nr. %d Übungsleiter", 1000+i),
		}
	}
	return d
}

// debtorIBAN gives the real-world test IBANs first and then distinct German
// IBANs, so a benchmark pays for validating every account like a real club
// run would. Their check digits follow ISO 13616 (BBAN + "DE00", 98 - mod 97);
// the IBAN library re-checks them independently in ValidateIBAN.
func debtorIBAN(i int) string {
	if i < len(testIBANs) {
		return testIBANs[i]
	}
	bban := fmt.Sprintf("37040044%010d", i)
	return fmt.Sprintf("DE%02d%s", 98-mod97(bban+"DE00"), bban)
}
