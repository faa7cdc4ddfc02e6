package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"membership/members/sepa"
)

// seedBatch is how many members SeedDemo writes per transaction: large batches make 100,000
// members take seconds; every batch stays below SQLite's limit of bound parameters.
const seedBatch = 500

// SeedDemo adds n members of a believable karate club: the plans Kinder, Jugend, Erwachsene
// and Förderer (created when missing), members of all ages with their guardians, addresses,
// consents and verifications, kyu and dan ranks earned over the years, the last periods' fees
// (mostly paid, some open or overdue) and a few pending, paused and archived members. With the
// same rnd seed, clock and starting database it writes the same club. It writes rows directly,
// not through Create, and one "create" audit row per member.
func (s *Store) SeedDemo(ctx context.Context, n int, rnd *rand.Rand) error {
	plans, err := s.seedPlans(ctx)
	if err != nil {
		return err
	}
	used, err := s.liveEmails(ctx)
	if err != nil {
		return err
	}
	g := seeder{rnd: rnd, today: s.today(), now: s.now(), loc: s.opts.Location, plans: plans, used: used}
	for done := 0; done < n; done += seedBatch {
		size := min(seedBatch, n-done)
		if err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return s.seedBatch(tx, &g, size) }); err != nil {
			return fmt.Errorf("seed demo members %d–%d: %w", done+1, done+size, err)
		}
	}
	if err := s.seedCollectionSettings(ctx); err != nil {
		return err
	}
	if err := s.seedTraining(ctx, n); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "demo club seeded", slog.Int("members", n))
	return nil
}

// seedCollectionSettings gives a club without creditor data the demo's: the Bundesbank's test
// creditor identifier and a well-known example IBAN, so direct debit runs work out of the box.
func (s *Store) seedCollectionSettings(ctx context.Context) error {
	set, err := s.CollectionSettings(ctx)
	if err != nil || set.Complete() {
		return err
	}
	set.CreditorName, set.CreditorID, set.IBAN = "Karate-Dojo Musterstadt e.V.", "DE98ZZZ09999999999", "DE89370400440532013000"
	_, err = s.SaveCollectionSettings(ctx, ActorSystem, set)
	return err
}

// mandate is the direct debit mandate of three in four demo members on a plan, signed when
// they joined (minors' by their guardian). It is drawn from the member's id, not from rnd, so
// the rest of the club stays what the same seed always made.
func (g *seeder) mandate(m *Member) (Mandate, bool) {
	if m.PlanID == nil || m.ID%4 == 0 || (m.Status != StatusActive && m.Status != StatusPaused) {
		return Mandate{}, false
	}
	holder := m.FullName()
	if m.GuardianName != "" && m.Age(g.today) < 18 {
		holder = m.GuardianName
	}
	md := Mandate{MemberID: m.ID, Reference: sepa.MandateReference(strconv.FormatInt(m.ID, 10), 1),
		IBAN: seedIBAN(m.ID), Holder: holder, SignedOn: m.JoinedOn, Type: MandateRecurrent, Status: MandateActive,
		CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt}
	if m.JoinedOn.Before(g.today.AddDays(-40)) {
		md.FirstCollectedOn = m.JoinedOn.AddDays(30)
	}
	return md, true
}

// seedIBAN is a valid German IBAN for a demo account at bank code 37040044.
func seedIBAN(id int64) string { return sepa.IBANFor("DE", fmt.Sprintf("37040044%010d", 100000000+id)) }

func (s *Store) seedPlans(ctx context.Context) (map[string]*Plan, error) {
	out := map[string]*Plan{}
	for _, in := range []PlanInput{
		{Name: "Kinder", FeeAmount: 2000, Currency: "EUR", Period: Monthly},
		{Name: "Jugend", FeeAmount: 2800, Currency: "EUR", Period: Monthly},
		{Name: "Erwachsene", FeeAmount: 3900, Currency: "EUR", Period: Monthly},
		{Name: "Förderer", FeeAmount: 6000, Currency: "EUR", Period: Yearly},
	} {
		p, err := s.GetPlanByName(ctx, in.Name)
		if errors.Is(err, ErrNotFound) {
			p, err = s.CreatePlan(ctx, ActorSystem, in)
		}
		if err != nil {
			return nil, fmt.Errorf("seed plan %s: %w", in.Name, err)
		}
		out[in.Name] = p
	}
	return out, nil
}

// liveEmails are the addresses in use, so the seed never collides with members already there.
func (s *Store) liveEmails(ctx context.Context) (map[string]bool, error) {
	var emails []string
	err := s.db.WithContext(ctx).Model(&Member{}).Where("status <> 'archived' AND email <> ''").Pluck("lower(email)", &emails).Error
	if err != nil {
		return nil, fmt.Errorf("read e-mail addresses: %w", err)
	}
	used := make(map[string]bool, len(emails))
	for _, e := range emails {
		used[e] = true
	}
	return used, nil
}

func (s *Store) seedBatch(tx *gorm.DB, g *seeder, size int) error {
	ms := make([]Member, size)
	ranks := make([][]Grading, size) // drawn before the insert: they set the member's rank
	for i := range ms {
		ms[i] = g.member()
		ranks[i] = g.gradings(&ms[i])
	}
	if err := tx.Omit("ID").CreateInBatches(&ms, seedBatch).Error; err != nil {
		return fmt.Errorf("insert members: %w", err)
	}
	var terms []memberTerm
	var gradings []Grading
	var fees []Fee
	var mandates []Mandate
	audits := make([]AuditEntry, 0, len(ms))
	for i := range ms {
		m := &ms[i]
		for _, t := range searchTerms(m.FirstName, m.LastName, m.Email, m.Phone) {
			terms = append(terms, memberTerm{Term: t, MemberID: m.ID, Status: m.Status, NameKey: m.NameKey})
		}
		audits = append(audits, AuditEntry{At: m.CreatedAt, Actor: ActorSystem, MemberID: &m.ID, Action: ActionCreate})
		for _, gr := range ranks[i] {
			gr.MemberID = m.ID
			gradings = append(gradings, gr)
		}
		fees = append(fees, g.fees(m)...)
		if md, ok := g.mandate(m); ok {
			mandates = append(mandates, md)
		}
	}
	for _, rows := range []any{&terms, &gradings, &fees, &mandates} {
		if err := tx.Omit("ID").CreateInBatches(rows, 1000).Error; err != nil {
			return fmt.Errorf("insert demo rows: %w", err)
		}
	}
	for _, f := range fees {
		audits = append(audits, feeAudit(f)...)
	}
	if err := tx.Omit("ID").CreateInBatches(&audits, 1000).Error; err != nil {
		return fmt.Errorf("insert demo audit log: %w", err)
	}
	return nil
}

// seeder draws the demo club's members from one random source.
type seeder struct {
	rnd   *rand.Rand
	today Date
	now   time.Time
	loc   *time.Location
	plans map[string]*Plan
	used  map[string]bool
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance is true with probability p.
func (g *seeder) chance(p float64) bool { return g.rnd.Float64() < p }

// daysBetween is a random day in [from, to].
func (g *seeder) daysBetween(from, to Date) Date {
	span := int(to.Time(time.UTC).Sub(from.Time(time.UTC)).Hours() / 24)
	if span <= 0 {
		return from
	}
	return from.AddDays(g.rnd.IntN(span + 1))
}

// at is a time during the club's day d (training hours).
func (g *seeder) at(d Date) time.Time {
	t := d.Time(g.loc).Add(time.Duration(16+g.rnd.IntN(5))*time.Hour + time.Duration(g.rnd.IntN(3600))*time.Second)
	if t.After(g.now) {
		t = g.now
	}
	return t.UTC()
}

func (g *seeder) member() Member {
	r := g.rnd
	first := pick(r, seedFemaleNames())
	if r.IntN(2) == 0 {
		first = pick(r, seedMaleNames())
	}
	last := pick(r, seedLastNames())
	var age int
	switch x := r.Float64(); {
	case x < 0.35:
		age = 5 + r.IntN(9)
	case x < 0.55:
		age = 14 + r.IntN(4)
	default:
		age = 18 + r.IntN(53)
	}
	birth := g.daysBetween(NewDate(g.today.Year-age-1, g.today.Month, g.today.Day+1), NewDate(g.today.Year-age, g.today.Month, g.today.Day))
	status := StatusActive
	switch x := r.Float64(); {
	case x < 0.05:
		status = StatusPending
	case x < 0.09:
		status = StatusPaused
	case x < 0.16:
		status = StatusArchived
	}
	from := earliest(latest(birth.AddDays(4*365), g.today.AddDays(-25*365), NewDate(2000, 1, 1)), g.today)
	joined := g.daysBetween(from, g.today)
	if status == StatusPending {
		joined = g.daysBetween(g.today.AddDays(-30), g.today)
	}
	city := pick(r, seedCities())
	m := Member{
		FirstName: first, LastName: last, BirthDate: birth, JoinedOn: joined, Status: status,
		Street:     fmt.Sprintf("%s %d", pick(r, seedStreets()), 1+r.IntN(120)),
		PostalCode: city.Postal, City: city.City, Country: "DE",
		CreatedAt: g.at(joined), Version: 1,
	}
	m.UpdatedAt = m.CreatedAt
	minor := age < 18
	if !minor || g.chance(0.3) {
		m.Email = g.email(first, last)
	}
	if !minor || g.chance(0.5) {
		m.Phone = g.phone()
	}
	if minor {
		m.GuardianName = pick(r, append(seedFemaleNames(), seedMaleNames()...)) + " " + last
		m.GuardianPhone = g.phone()
		m.GuardianEmail = g.email(strings.Fields(m.GuardianName)[0], last)
	}
	g.plan(&m, age)
	g.contact(&m)
	if status == StatusArchived {
		m.PriorStatus, m.ArchivedOn = StatusActive, g.daysBetween(joined, g.today)
	}
	if status == StatusActive && g.chance(0.12) {
		m.MembershipEndsOn = g.daysBetween(g.today, g.today.AddDays(120))
	}
	if g.chance(0.06) {
		m.Notes = pick(r, seedNotes())
	}
	m.NameKey = nameKey(m.FirstName, m.LastName)
	return m
}

func (g *seeder) plan(m *Member, age int) {
	name := "Erwachsene"
	switch {
	case age < 14:
		name = "Kinder"
	case age < 18:
		name = "Jugend"
	case g.chance(0.06):
		name = "Förderer"
	}
	if g.chance(0.03) {
		return // honorary members pay nothing
	}
	p := g.plans[name]
	m.PlanID, m.Plan = &p.ID, p.Name
}

// contact sets consents (given on joining) and, for most confirmed members, verifications.
func (g *seeder) contact(m *Member) {
	joinedAt := m.CreatedAt
	if m.Email != "" && g.chance(0.85) {
		m.EmailConsent, m.EmailConsentAt = true, &joinedAt
	}
	if m.Phone != "" && g.chance(0.7) {
		m.SMSConsent, m.SMSConsentAt = true, &joinedAt
	}
	if m.Status != StatusPending && g.chance(0.75) {
		verified := g.at(DateOf(joinedAt.In(g.loc)).AddDays(1))
		if m.Phone != "" {
			m.PhoneVerifiedAt = &verified
		}
		if m.Email != "" {
			m.EmailVerifiedAt = &verified
		}
	}
}

// email makes a unique address at one of the domains reserved for examples.
func (g *seeder) email(first, last string) string {
	local := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r == '.' {
			return r
		}
		return -1
	}, germanSpelling(strings.ToLower(first+"."+strings.ReplaceAll(last, " ", ""))))
	domain := pick(g.rnd, []string{"example.org", "example.com", "example.net"})
	addr := local + "@" + domain
	for i := 2; g.used[addr]; i++ {
		addr = fmt.Sprintf("%s%d@%s", local, i, domain)
	}
	g.used[addr] = true
	return addr
}

// phone draws a valid E.164 number: mostly German mobiles, some Austrian and Swiss.
func (g *seeder) phone() string {
	r := g.rnd
	switch x := r.Float64(); {
	case x < 0.05:
		return fmt.Sprintf("+43664%07d", r.IntN(1e7))
	case x < 0.08:
		return fmt.Sprintf("+4179%07d", r.IntN(1e7))
	}
	return fmt.Sprintf("+49%s%08d", pick(r, []string{"151", "152", "157", "176"}), r.IntN(1e8))
}

// gradings draws the member's rank history: a grading every year or so since joining, children
// up to 1. Kyu, adults on to the dan grades.
func (g *seeder) gradings(m *Member) []Grading {
	if m.Status == StatusPending {
		return nil
	}
	years := m.JoinedOn.YearsUntil(g.today)
	maxRank := len(Ranks()) - 1
	if m.Age(g.today) < 16 {
		maxRank = RankOrder("1. Kyu")
	}
	count := min(years+g.rnd.IntN(2), maxRank+1, 12)
	if count <= 0 {
		return nil
	}
	out := make([]Grading, count)
	day := m.JoinedOn.AddDays(150 + g.rnd.IntN(90))
	for i := range out {
		if day.After(g.today) {
			out = out[:i]
			break
		}
		out[i] = Grading{Rank: Ranks()[i], GradedOn: day, CreatedBy: ActorSystem, CreatedAt: g.at(day)}
		if i >= 6 && g.chance(0.5) {
			out[i].Notes = "Prüfer: Landesverband"
		}
		day = day.AddDays(300 + g.rnd.IntN(200))
	}
	if len(out) > 0 {
		m.Rank = out[len(out)-1].Rank
	}
	return out
}

// fees draws the last three periods' fees of a member on a plan: older ones mostly paid, some
// overdue, the current one often still open. UpdatedAt is when it was paid or marked overdue.
func (g *seeder) fees(m *Member) []Fee {
	if m.PlanID == nil || m.Status == StatusPending || m.Status == StatusPaused {
		return nil
	}
	p := g.plans[m.Plan]
	var fees []Fee
	day := g.today
	for back := 0; back < 3; back++ {
		start, end := p.Period.Bounds(day)
		day = start.AddDays(-1)
		if end.Before(m.JoinedOn) || (!m.ArchivedOn.IsZero() && m.ArchivedOn.Before(start)) {
			continue
		}
		f := Fee{MemberID: m.ID, PlanID: p.ID, PeriodStart: start, PeriodEnd: end, DueOn: start,
			Amount: p.FeeAmount, Currency: p.Currency, Status: FeeOpen, CreatedAt: g.at(start)}
		f.UpdatedAt = f.CreatedAt
		switch x := g.rnd.Float64(); {
		case back > 0 && x < 0.07:
			overdue := g.at(earliest(start.AddDays(21), g.today))
			f.Status, f.OverdueAt, f.UpdatedAt = FeeOverdue, &overdue, overdue
		case back > 0 && x < 0.93 || back == 0 && x < 0.4:
			f.Status, f.PaidOn, f.Method = FeePaid, earliest(start.AddDays(g.rnd.IntN(12)), g.today), pick(g.rnd, PaymentMethods())
			f.UpdatedAt = g.at(f.PaidOn)
		}
		fees = append(fees, f)
	}
	return fees
}

// feeAudit is the audit row a seeded fee's payment or overdue mark would have written.
func feeAudit(f Fee) []AuditEntry {
	e := AuditEntry{At: f.UpdatedAt, Actor: ActorSystem, MemberID: &f.MemberID, Field: feeRef(f.ID), OldValue: string(FeeOpen)}
	switch f.Status {
	case FeePaid:
		e.Action, e.NewValue = ActionFeePaid, "paid on "+f.PaidOn.String()+" by "+f.Method
	case FeeOverdue:
		e.Action, e.NewValue = ActionFeeOverdue, string(FeeOverdue)
	default:
		return nil
	}
	return []AuditEntry{e}
}

// earliest is the earlier of two days.
func earliest(a, b Date) Date {
	if b.Before(a) {
		return b
	}
	return a
}

// latest is the latest of the days.
func latest(ds ...Date) Date {
	out := ds[0]
	for _, d := range ds[1:] {
		if d.After(out) {
			out = d
		}
	}
	return out
}
