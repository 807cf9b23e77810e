"""Live captions: a secret caption link per event that captioning software posts to, each caption filed under
the current question and attributed to whoever speaks (docs/captions.md)."""
