package members

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// verificationKey is a row of verification_keys.
type verificationKey struct {
	Name      string `gorm:"primaryKey"`
	Secret    []byte
	CreatedAt time.Time
}

func (verificationKey) TableName() string { return "verification_keys" }

// keyring holds the keys derived from the installation's one random secret, one per use, so
// that a value made for one use never passes for another.
type keyring struct {
	code    []byte      // hashes of codes
	seed    []byte      // derives each challenge's code
	address []byte      // hashes of phone numbers and e-mail addresses
	limit   []byte      // keys of the abuse-limit counters
	token   cipher.AEAD // seals the tokens of links
}

// masterKey names the secret in verification_keys.
const masterKey = "master"

// loadKeyring reads the installation's secret, making it on first use. Several processes may
// start at once: the first insert wins and everyone reads what it wrote.
func loadKeyring(tx *gorm.DB, now time.Time) (keyring, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return keyring{}, fmt.Errorf("make verification key: %w", err)
	}
	err := tx.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&verificationKey{Name: masterKey, Secret: fresh, CreatedAt: now}).Error
	if err != nil {
		return keyring{}, fmt.Errorf("store verification key: %w", err)
	}
	var k verificationKey
	if err := tx.Where("name = ?", masterKey).Take(&k).Error; err != nil {
		return keyring{}, fmt.Errorf("read verification key: %w", err)
	}
	if len(k.Secret) < 32 {
		return keyring{}, fmt.Errorf("verification key is %d bytes, want 32", len(k.Secret))
	}
	derive := func(use string) []byte { return macBytes(k.Secret, use) }
	block, err := aes.NewCipher(derive("token"))
	if err != nil {
		return keyring{}, fmt.Errorf("token cipher: %w", err)
	}
	token, err := cipher.NewGCM(block)
	if err != nil {
		return keyring{}, fmt.Errorf("token cipher: %w", err)
	}
	return keyring{code: derive("code"), seed: derive("code-seed"), address: derive("address"), limit: derive("limit"), token: token}, nil
}

// macBytes is HMAC-SHA256 over the parts, each ended by a NUL so that no two lists of parts
// run together into the same input.
func macBytes(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func macHex(key []byte, parts ...string) string { return hex.EncodeToString(macBytes(key, parts...)) }

// codeFor is the code of one challenge of one verification run: n decimal digits drawn from an
// HMAC under the secret seed key, so it is as unpredictable as a random code to anyone without
// the key, yet the same on every try. That matters because the activity that sends it runs at
// least once: a retry after a crash between "the SMS went out" and "sent is recorded" must store
// the hash of the code the member already holds, not of a new one the member never sees.
func (k keyring) codeFor(instanceID string, challenge, n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	// 256 bits reduced modulo 10^n (n ≤ 10): the bias is below 2^-200.
	v := new(big.Int).SetBytes(macBytes(k.seed, instanceID, strconv.Itoa(challenge)))
	return fmt.Sprintf("%0*s", n, v.Mod(v, limit).String())
}

// The purposes of sealed links; a token signed for one is refused by the other.
const (
	tokenJoin       = "join"
	tokenEmailLink  = "email-link"
	tokenSignInLink = "sign-in-link"
	tokenSignInPage = "sign-in-page"
)

// seal makes a token of fields: their text, dot-separated, encrypted and authenticated with
// AES-256-GCM under the token key, the purpose bound in as additional data, base64url. Sealed
// rather than only signed, because the e-mail link carries the code and request logs keep
// paths: a logged token reveals nothing. Fields must not contain dots.
func (k keyring) seal(purpose string, fields ...string) string {
	nonce := make([]byte, k.token.NonceSize())
	_, _ = rand.Read(nonce) // never fails: crypto/rand crashes the program rather than return an error
	sealed := k.token.Seal(nonce, nonce, []byte(strings.Join(fields, ".")), []byte(purpose))
	return base64.RawURLEncoding.EncodeToString(sealed)
}

// open checks a token sealed for purpose and returns its n fields.
func (k keyring) open(purpose, token string, n int) ([]string, error) {
	aead := k.token
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrBadToken
	}
	text, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, ErrBadToken
	}
	fields := strings.Split(string(text), ".")
	if len(fields) != n {
		return nil, ErrBadToken
	}
	return fields, nil
}

// JoinLink is what the link of the join pages carries: the member and their two verification
// runs.
type JoinLink struct {
	MemberID           int64
	PhoneSeq, EmailSeq int
}

// PhoneInstance and EmailInstance are the runs' instance ids.
func (j JoinLink) PhoneInstance() string {
	return VerificationInstanceID(VerifyPhone, j.MemberID, j.PhoneSeq)
}

// EmailInstance is the e-mail run's instance id.
func (j JoinLink) EmailInstance() string {
	return VerificationInstanceID(VerifyEmail, j.MemberID, j.EmailSeq)
}

// EmailLink is what the link in a verification e-mail carries: the run, the challenge and its
// code, so that following the link is the same as typing the code.
type EmailLink struct {
	MemberID  int64
	Seq       int
	Challenge int
	Code      string
}

// InstanceID is the run's instance id.
func (l EmailLink) InstanceID() string { return VerificationInstanceID(VerifyEmail, l.MemberID, l.Seq) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// parseInts reads decimal fields of a token.
func parseInts(fields []string) ([]int64, error) {
	out := make([]int64, len(fields))
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return nil, ErrBadToken
		}
		out[i] = n
	}
	return out, nil
}
