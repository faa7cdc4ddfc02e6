package web

import (
	"errors"

	"membership/members"
	"membership/web/i18n"
	"membership/web/templates"
)

// fieldErrors is the first message of each field of a validation error, in the reader's
// language: the catalogue's "validation."+Code with the rule's values, or the domain's English
// text where a rule has no code or the catalogue no message for it. Any other error gives nil.
func fieldErrors(l *i18n.Localizer, err error) templates.FieldErrors {
	var ve *members.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := templates.FieldErrors{}
	for _, fe := range ve.Fields {
		if out[fe.Field] == "" {
			out[fe.Field] = fieldMessage(l, fe)
		}
	}
	return out
}

// fieldMessage is one field error in the reader's language.
func fieldMessage(l *i18n.Localizer, fe members.FieldError) string {
	if fe.Code == "" {
		return fe.Message
	}
	key := "validation." + fe.Code
	if msg := l.T(key, fe.Args...); msg != key {
		return msg
	}
	return fe.Message
}
