package twilio_test

import (
	"net/url"
	"testing"

	"membership/notify/notifytest"
	"membership/notify/twilio"
)

func TestValidateWebhook(t *testing.T) {
	f := notifytest.NewTwilio(t)
	const hook = "https://club.example/webhooks/twilio/status"
	status := url.Values{
		"MessageSid": {"SM00000000000000000000000000000001"}, "MessageStatus": {"delivered"},
		"AccountSid": {f.AccountSID}, "To": {"+4915123456789"}, "From": {from}, "ApiVersion": {"2010-04-01"},
	}
	multi := url.Values{"MediaUrl": {"https://b.example/2", "https://a.example/1"}, "Body": {"hi"}}
	tampered := url.Values{}
	for k, v := range status {
		tampered[k] = v
	}
	tampered.Set("MessageStatus", "failed")
	// The vector from twilio-go's own tests, signed with auth token 12345.
	docs := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"}, "ReasonConferenceEnded": {"test"},
		"Reason": {"Participant"},
	}

	tests := []struct {
		name      string
		token     string
		url       string
		params    url.Values
		signature string
		want      bool
	}{
		{"twilio's vector", "12345", "https://mycompany.com/myapp.php?foo=1&bar=2", docs, "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{"status callback", f.AuthToken, hook, status, f.SignWebhook(hook, status), true},
		{"repeated parameter", f.AuthToken, hook, multi, f.SignWebhook(hook, multi), true},
		{"no parameters", f.AuthToken, hook, nil, f.SignWebhook(hook, nil), true},
		{"tampered parameter", f.AuthToken, hook, tampered, f.SignWebhook(hook, status), false},
		{"other url", f.AuthToken, hook + "?x=1", status, f.SignWebhook(hook, status), false},
		{"wrong token", "ffffffffffffffffffffffffffffffff", hook, status, f.SignWebhook(hook, status), false},
		{"missing signature", f.AuthToken, hook, status, "", false},
		{"garbage signature", f.AuthToken, hook, status, "not base64!", false},
		{"no auth token", "", hook, nil, f.SignWebhook(hook, nil), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := twilio.ValidateWebhook(tc.token, tc.url, tc.params, tc.signature); got != tc.want {
				t.Errorf("ValidateWebhook = %v, want %v", got, tc.want)
			}
		})
	}
}
