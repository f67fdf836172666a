"""研判 analysis: text models, routing and the triage desk."""
