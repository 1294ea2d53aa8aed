"""The main-venue controller: which venue is on air (cue, take, switch, agenda, fallback), the hand-off log and its timeline."""
