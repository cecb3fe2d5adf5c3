// Placeholder so the target builds; see the issues for what lands here.
