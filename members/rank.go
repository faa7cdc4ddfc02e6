package members

import (
	"slices"
	"time"
)

// Ranks lists the karate grades from the lowest pupil grade to the highest master grade. Kyu
// grades count down towards the black belt, dan grades count up from it.
func Ranks() []string {
	return []string{
		"6. Kyu", "5. Kyu", "4. Kyu", "3. Kyu", "2. Kyu", "1. Kyu",
		"1. Dan", "2. Dan", "3. Dan", "4. Dan", "5. Dan", "6. Dan", "7. Dan", "8. Dan", "9. Dan", "10. Dan",
	}
}

// RankOrder is the position of rank in Ranks (0 for "6. Kyu"), or -1 for an unknown rank.
func RankOrder(rank string) int { return slices.Index(Ranks(), rank) }

// Grading is one passed examination: the rank history of a member.
type Grading struct {
	ID        int64     `json:"id"`
	MemberID  int64     `json:"member_id"`
	Rank      string    `json:"rank"`
	GradedOn  Date      `json:"graded_on"`
	Notes     string    `json:"notes"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}
