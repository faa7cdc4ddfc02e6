package members

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"
)

// seedTrainingMax bounds the clubs whose demo seed gets a year of attendance: a dojo's few
// hundred members make some 20,000 rows; a federation's 100,000 would make millions.
const seedTrainingMax = 5000

// seedTraining gives the demo club its training groups (children, youth, adults, by age), a
// year of attendance on their weekly days and an upcoming exam. Who trained when is drawn from
// the member's id and the day, not from the seed's rnd, so the members stay what the seed makes.
func (s *Store) seedTraining(ctx context.Context, n int) error {
	if n > seedTrainingMax {
		return nil
	}
	type groupPlan struct {
		name, schedule string
		days           []time.Weekday
		minAge, maxAge int
	}
	plans := []groupPlan{
		{"Kinder", "Mo 17:00, Do 17:00", []time.Weekday{time.Monday, time.Thursday}, 0, 13},
		{"Jugend", "Di 17:30, Fr 17:30", []time.Weekday{time.Tuesday, time.Friday}, 14, 17},
		{"Erwachsene", "Mo 19:00, Do 19:00", []time.Weekday{time.Monday, time.Thursday}, 18, 200},
	}
	existing, err := s.Groups(ctx)
	if err != nil {
		return err
	}
	for _, g := range existing {
		if g.Name == plans[0].name {
			return nil // seeded before
		}
	}
	var ms []Member
	if err := s.db.WithContext(ctx).Where("status = ?", StatusActive).Order("id").Find(&ms).Error; err != nil {
		return fmt.Errorf("read demo members: %w", err)
	}
	today := s.today()
	for _, p := range plans {
		g, err := s.CreateGroup(ctx, p.name, p.schedule)
		if err != nil {
			return fmt.Errorf("seed group %s: %w", p.name, err)
		}
		var links []GroupMember
		var rows []Attendance
		for _, m := range ms {
			age := m.Age(today)
			if age < p.minAge || age > p.maxAge {
				continue
			}
			links = append(links, GroupMember{GroupID: g.ID, MemberID: m.ID})
			// Each member comes to a share of the trainings of their own, 40–95 %.
			share := 40 + int(m.ID*37%56)
			for d := today.AddDays(-365); !d.After(today); d = d.AddDays(1) {
				if d.Before(m.JoinedOn) || !slices.Contains(p.days, d.Time(time.UTC).Weekday()) {
					continue
				}
				if int((m.ID*7919+int64(d.Time(time.UTC).Unix()/86400)*104729)%100) < share {
					rows = append(rows, Attendance{GroupID: g.ID, MemberID: m.ID, TrainedOn: d, RecordedBy: ActorSystem, CreatedAt: d.Time(time.UTC).Add(19 * time.Hour)})
				}
			}
		}
		tx := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true})
		if len(links) > 0 {
			if err := tx.CreateInBatches(&links, 1000).Error; err != nil {
				return fmt.Errorf("seed members of %s: %w", p.name, err)
			}
		}
		if len(rows) > 0 {
			if err := tx.Omit("ID").CreateInBatches(&rows, 1000).Error; err != nil {
				return fmt.Errorf("seed attendance of %s: %w", p.name, err)
			}
		}
	}
	examOn := today.AddDays(28)
	_, err = s.CreateExam(ctx, ActorSystem, ExamInput{Name: "Kyu-Prüfung " + examOn.String()[:7], ExamOn: examOn, FeeAmount: 1500,
		Currency: "EUR", Deadline: examOn.AddDays(-7).Time(s.opts.Location).Add(20 * time.Hour)})
	if err != nil {
		return fmt.Errorf("seed exam: %w", err)
	}
	return nil
}
