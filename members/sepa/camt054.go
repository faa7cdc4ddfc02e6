package sepa

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// camt054 mirrors the parts of a camt.054 notification that carry returns.
// The tags have no namespace on purpose: encoding/xml then matches local
// names, so camt.054.001.02 and .001.08 (and banks' variants) all parse.
type camt054 struct {
	Notifications []struct {
		Entries []camtEntry `xml:"Ntry"`
	} `xml:"BkToCstmrDbtCdtNtfctn>Ntfctn"`
}

type camtEntry struct {
	Amount  string `xml:"Amt"`
	Details []struct {
		Tx []camtTx `xml:"TxDtls"`
	} `xml:"NtryDtls"`
}

type camtTx struct {
	EndToEndID string `xml:"Refs>EndToEndId"`
	MandateID  string `xml:"Refs>MndtId"`
	// .001.08 has TxDtls/Amt; .001.02 only AmtDtls/TxAmt/Amt.
	Amount     string `xml:"Amt"`
	TxAmount   string `xml:"AmtDtls>TxAmt>Amt"`
	DebtorIBAN string `xml:"RltdPties>DbtrAcct>Id>IBAN"`
	// The mandate id also appears in the related remittance of some banks'
	// files, but Refs/MndtId is where ISO puts it.
	ReasonCode  string `xml:"RtrInf>Rsn>Cd"`
	ReasonPrtry string `xml:"RtrInf>Rsn>Prtry"`
}

// ParseCamt054 reads the returned direct debits of a camt.054 notification
// (versions .001.02 and .001.08). Every TxDtls with return information is
// one Return; Line is its 1-based position among all TxDtls of the file,
// which is what a user can find again in the bank's viewer. Transactions
// without RtrInf are not returns and are skipped.
func ParseCamt054(r io.Reader) ([]Return, error) {
	var doc camt054
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("sepa: parse camt.054: %w", err)
	}
	var out []Return
	n := 0
	for _, ntf := range doc.Notifications {
		for _, e := range ntf.Entries {
			txCount := 0
			for _, d := range e.Details {
				txCount += len(d.Tx)
			}
			for _, d := range e.Details {
				for _, tx := range d.Tx {
					n++
					reason := strings.TrimSpace(tx.ReasonCode)
					if reason == "" {
						reason = strings.TrimSpace(tx.ReasonPrtry)
					}
					if reason == "" {
						continue
					}
					amount := firstNonEmpty(tx.Amount, tx.TxAmount)
					if amount == "" && txCount == 1 {
						// A single return may carry its amount on the entry only.
						amount = e.Amount
					}
					cents, err := parseXMLAmount(amount)
					if err != nil {
						return nil, fmt.Errorf("sepa: parse camt.054: transaction %d: %w", n, err)
					}
					out = append(out, Return{
						Line:       n,
						EndToEndID: endToEndID(tx.EndToEndID),
						MandateRef: strings.TrimSpace(tx.MandateID),
						IBAN:       NormalizeIBAN(tx.DebtorIBAN),
						Amount:     cents,
						Reason:     strings.ToUpper(reason),
					})
				}
			}
		}
	}
	return out, nil
}

// parseXMLAmount reads an ISO 20022 decimal ("35.00", "35", "35.5"):
// '.' is always the decimal point here, unlike in bank CSV exports, and
// fraction digits beyond the cents must be zero.
func parseXMLAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	intPart, frac, _ := strings.Cut(s, ".")
	if !allDigits(intPart) || len(intPart) > 12 || (frac != "" && !allDigits(frac)) ||
		strings.Trim(frac[min(len(frac), 2):], "0") != "" {
		return 0, fmt.Errorf("%w: %q", errAmount, s)
	}
	frac = (frac + "00")[:2]
	euros, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", errAmount, s)
	}
	return euros*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0'), nil
}

// endToEndID drops the NOTPROVIDED placeholder banks send when the debit
// had no end-to-end reference, so callers match by mandate instead.
func endToEndID(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "NOTPROVIDED") {
		return ""
	}
	return s
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
