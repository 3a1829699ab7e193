package bot

// sessionRoutes registers the handlers of this feature. (Stub: being built.)
func (b *Bot) sessionRoutes() {}
