package bot

// memberRoutes registers the handlers of this feature. (Stub: being built.)
func (b *Bot) memberRoutes() {}
