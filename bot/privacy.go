package bot

// privacyRoutes registers the handlers of this feature. (Stub: being built.)
func (b *Bot) privacyRoutes() {}
