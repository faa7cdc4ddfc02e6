package sepa

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseCamt054(t *testing.T) {
	tests := []struct {
		file string
		want []Return
	}{
		{"testdata/camt054_returns.001.08.xml", []Return{
			{Line: 1, EndToEndID: "FEE-2026-000001", MandateRef: "M-1000-1", IBAN: "DE02120300000000202051", Amount: 3500, Reason: "AC04"},
			{Line: 2, EndToEndID: "FEE-2026-000002", MandateRef: "M-1001-1", IBAN: "DE12500105170648489890", Amount: 4800, Reason: "MD06"},
			{Line: 3, EndToEndID: "FEE-2026-000003", MandateRef: "M-1002-2", IBAN: "NL91ABNA0417164300", Amount: 1250, Reason: "AM04"},
		}},
		{"testdata/camt054_returns.001.02.xml", []Return{
			{Line: 1, EndToEndID: "FEE-2026-000010", MandateRef: "M-2000-1", IBAN: "AT611904300234573201", Amount: 123450, Reason: "MS02"},
			{Line: 2, EndToEndID: "", MandateRef: "M-2001-1", IBAN: "GB82WEST12345698765432", Amount: 2000, Reason: "SL01"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ParseCamt054(f)
			if err != nil {
				t.Fatalf("ParseCamt054: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseCamt054Errors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not XML", "hello", "parse camt.054"},
		{"truncated", "<Document><BkToCstmrDbtCdtNtfctn><Ntfctn>", "parse camt.054"},
		{"bad amount", `<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry><NtryDtls><TxDtls>
			<Amt Ccy="EUR">35,00</Amt><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
			</TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`, "transaction 1"},
		{"amount with cents beyond 2 digits", `<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry><NtryDtls><TxDtls>
			<Amt Ccy="EUR">35.001</Amt><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
			</TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`, "transaction 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCamt054(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v; want it to mention %q", err, tt.want)
			}
		})
	}
}
