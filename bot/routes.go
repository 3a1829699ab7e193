package bot

// routes wires every command, autocomplete, button and modal to its
// handler. Each feature registers its own in its file.
func (b *Bot) routes() {
	b.memberRoutes()
	b.privacyRoutes()
	b.facilitatorRoutes()
	b.adminRoutes()
	b.sessionRoutes()
	b.roundRoutes()
	b.cardRoutes()
}
