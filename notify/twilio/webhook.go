package twilio

import (
	"net/url"
	"slices"
	"strings"

	twclient "github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header carrying Twilio's webhook signature.
const SignatureHeader = "X-Twilio-Signature"

// ValidateWebhook reports whether signature (the X-Twilio-Signature header)
// is Twilio's signature, made with authToken, of a request to fullURL (the
// URL Twilio was configured with, query included) carrying the form
// parameters params. A missing signature is invalid.
func ValidateWebhook(authToken, fullURL string, params url.Values, signature string) bool {
	if signature == "" || authToken == "" {
		return false
	}
	v := twclient.NewRequestValidator(authToken)
	return v.Validate(fullURL, flatten(params), signature)
}

// flatten turns form parameters into the map twilio-go's validator takes.
// The validator signs key+value for each key in sorted order; Twilio signs a
// repeated key once per distinct value, in sorted order. Joining those values
// with the key between them yields exactly the string Twilio signed.
func flatten(params url.Values) map[string]string {
	m := make(map[string]string, len(params))
	for k, vs := range params {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		m[k] = strings.Join(slices.Compact(vs), k)
	}
	return m
}
