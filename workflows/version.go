package workflows

// Versions of orchestrators.
//
// An orchestrator's history is replayed through its code every time it wakes up, so a release
// that changes what an orchestrator schedules, or in which order, would break the instances the
// old release started (the engine matches scheduled tasks by sequence number and would feed
// them the wrong results). The approach Durable Functions and Temporal document is ours: an
// instance records the version of the code path it was started with, and the orchestrator keeps
// every old path for as long as instances of it may run.
//
//   - The version is a field of the orchestrator's input ("version"), set by whoever starts the
//     instance to the orchestrator's current version constant below; it never changes during the
//     instance's life (ContinueAsNew carries it on).
//   - Version 0 is the first version: every instance started before its orchestrator had
//     versions has none in its input, and a client that starts one through the management API
//     without a version gets the first path, which still works.
//   - A change that alters the scheduled steps of an orchestrator adds a version: the constant
//     goes up, the new path branches on in.Version, the old path stays as it was, and a history
//     of the old version is checked in under testdata/ so TestGoldenReplay proves the old path
//     still replays (testdata/README.md says which file belongs to which version).
//   - An old path may go once no instance of its version can still be running: after the longest
//     an instance lives (for a fee reminder fees.overdue_after), in the release after next.
//
// Changes that do not alter the scheduled steps — a custom status, an activity's own code, a
// new field in an activity's input — need no version.
const (
	// FeeReminderVersion 1: when the SMS reminder cannot go out (no number, no consent, a
	// permanent refusal), the reminder goes by e-mail instead. Version 0 sent nothing then.
	FeeReminderVersion = 1
	// CampaignBatchVersion 1: when the provider still refuses after the send retries, the batch
	// waits for it (growing waits, "waiting_for_provider" in its status and on the campaign)
	// and tries again, for up to a day, instead of failing its recipients at once. Version 0
	// failed them after the retries.
	CampaignBatchVersion = 1
	// VerificationVersion 1 (PhoneVerification, EmailVerification): when the first code cannot
	// go out after the send retries (the provider down), the run waits for the provider —
	// growing durable waits, "waiting_for_provider" in its status and on the join page — and
	// tries again for up to verificationPatience, instead of failing at once. Version 0 failed.
	VerificationVersion = 1
	// RenewalCampaignVersion 1: before anything else the campaign asks whether it needs a
	// second admin's approval and waits for it (CampaignApproval) until its deadline; after its
	// start timer, a start missed by more than missedGrace follows the campaign's policy (send
	// late, skip, or hold for CampaignRelease). Version 0 did neither.
	RenewalCampaignVersion = 1
)

// FeeCollectionVersion is the version a new FeeCollection starts with (0: the first path).
const FeeCollectionVersion = 0
