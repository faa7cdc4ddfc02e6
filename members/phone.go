package members

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone turns a number as people type it ("0151 23456789", "+43 664 1234567") into
// E.164 ("+4915123456789"). A number without a country code is read as one of defaultRegion.
// The number must be valid (Parse alone accepts nonsense of the right length) and, when allowed
// is not empty, belong to one of the allowed regions (ISO 3166 codes such as "DE"). Its errors
// are *Problem, so a form can say them in its reader's language.
func NormalizePhone(raw, defaultRegion string, allowed []string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", problem("phone_missing", "no phone number given")
	}
	defaultRegion = strings.ToUpper(defaultRegion)
	num, err := phonenumbers.Parse(raw, defaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		r := regionOf(raw, num, defaultRegion)
		return "", problem("phone_invalid", fmt.Sprintf("not a valid phone number for %s", r), "Region", r)
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if len(allowed) > 0 && !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, region) }) {
		return "", problem("phone_region", fmt.Sprintf("numbers from %s are not accepted", region), "Region", region)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// regionOf names the region an invalid number was read for: the one its country code points
// to when it has one ("+44 …" is judged as GB), otherwise the default.
func regionOf(raw string, num *phonenumbers.PhoneNumber, defaultRegion string) string {
	if num != nil && strings.HasPrefix(raw, "+") {
		if r := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())); r != "" && r != "ZZ" {
			return r
		}
	}
	return defaultRegion
}

// phoneSearchForms are the digit strings a person may type to find an E.164 number: with the
// country code ("4915123456789"), as dialled at home ("015123456789") and without either
// ("15123456789").
func phoneSearchForms(e164 string) []string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return []string{strings.TrimPrefix(e164, "+")}
	}
	forms := []string{
		strings.TrimPrefix(e164, "+"),
		phonenumbers.NormalizeDigitsOnly(phonenumbers.Format(num, phonenumbers.NATIONAL)),
		phonenumbers.GetNationalSignificantNumber(num),
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}
