package members_test

import (
	"testing"

	"membership/members"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	dach := []string{"DE", "AT", "CH"}
	tests := []struct {
		name    string
		raw     string
		region  string
		allowed []string
		want    string
		wantErr string
	}{
		{"german mobile as dialled at home", "0151 23456789", "DE", dach, "+4915123456789", ""},
		{"german mobile with country code", "+49 (151) 234-56789", "DE", dach, "+4915123456789", ""},
		{"german mobile with 00 prefix", "0049 151 23456789", "DE", dach, "+4915123456789", ""},
		{"berlin landline", "030 1234567", "DE", dach, "+49301234567", ""},
		{"austrian mobile from a german club", "+43 664 1234567", "DE", dach, "+436641234567", ""},
		{"austrian mobile as dialled in austria", "0664 1234567", "AT", dach, "+436641234567", ""},
		{"swiss mobile", "079 123 45 67", "CH", dach, "+41791234567", ""},
		{"swiss landline from a german club", "+41 44 668 18 00", "DE", dach, "+41446681800", ""},
		{"british landline", "020 7946 0958", "GB", nil, "+442079460958", ""},
		{"british mobile", "+44 7400 123456", "DE", []string{"GB", "DE"}, "+447400123456", ""},
		{"us number", "(201) 555-0123", "US", nil, "+12015550123", ""},
		{"us number from a german club, all regions allowed", "+1 201 555 0123", "DE", nil, "+12015550123", ""},
		{"region codes in any case", "0151 23456789", "de", []string{"de"}, "+4915123456789", ""},
		{"too short", "0151 234", "DE", dach, "", "not a valid phone number for DE"},
		{"too long", "0151 234567890123", "DE", dach, "", "not a valid phone number for DE"},
		{"letters", "call me", "DE", dach, "", "not a valid phone number for DE"},
		{"invalid number with a foreign code is judged there", "+44 123", "DE", dach, "", "not a valid phone number for GB"},
		{"region not allowed", "+44 20 7946 0958", "DE", dach, "", "numbers from GB are not accepted"},
		{"us not allowed", "+1 201 555 0123", "DE", dach, "", "numbers from US are not accepted"},
		{"empty", "  ", "DE", dach, "", "no phone number given"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := members.NormalizePhone(tc.raw, tc.region, tc.allowed)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("NormalizePhone(%q) = %q, %v; want error %q", tc.raw, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
			}
		})
	}
}
