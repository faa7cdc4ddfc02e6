package postgres_test

import (
	"testing"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

func TestConformance(t *testing.T) {
	taskhubtest.RunConformance(t, func(t *testing.T) backend.Backend {
		return open(t, newSchema(t), postgres.Options{})
	})
}
