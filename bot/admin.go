package bot

// adminRoutes registers the handlers of this feature. (Stub: being built.)
func (b *Bot) adminRoutes() {}
