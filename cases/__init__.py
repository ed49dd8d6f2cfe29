"""The incident workflow: intake, routing, dispatch and the trail of every change."""
