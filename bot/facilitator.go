package bot

// facilitatorRoutes registers the handlers of this feature. (Stub: being built.)
func (b *Bot) facilitatorRoutes() {}
