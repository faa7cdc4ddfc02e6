package members

import (
	"regexp"
	"strings"
	"text/template"
)

// campaignFields are the names a campaign's subject and message may use ({{.FirstName}} …):
// the member fields the notice renderer (activities.Texts.MessageData) fills in.
var campaignFields = []string{"FirstName", "LastName", "FullName", "Email", "Phone", "Plan", "Rank", "Status",
	"MembershipEndsOn", "MemberID", "Club"}

// checkCampaignText adds a field error when text does not parse or uses a field campaigns do
// not have: a typo ({{.Fistname}}) is caught when the campaign is planned, not when it sends.
func checkCampaignText(v *ValidationError, field, text string) {
	t, err := template.New(field).Option("missingkey=error").Parse(text)
	if err == nil {
		sample := make(map[string]string, len(campaignFields))
		for _, f := range campaignFields {
			sample[f] = f
		}
		err = t.Execute(&strings.Builder{}, sample)
	}
	if err != nil {
		problem := templateProblem(field, err)
		v.Add(field, "invalid_template", "is not a valid template: "+problem, "Problem", problem)
	}
}

// unknownKey finds the name in text/template's `map has no entry for key "X"`.
var unknownKey = regexp.MustCompile(`no entry for key "([^"]*)"`)

// templateProblem shortens text/template's messages to what the writer can act on.
func templateProblem(name string, err error) string {
	msg := err.Error()
	if m := unknownKey.FindStringSubmatch(msg); m != nil {
		return "unknown field " + m[1] + " (use " + strings.Join(campaignFields, ", ") + ")"
	}
	return strings.TrimPrefix(msg, "template: "+name+":")
}
