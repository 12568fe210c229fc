"""Per-learner state: enrolments, lesson completions, quiz attempts, mentorships."""
