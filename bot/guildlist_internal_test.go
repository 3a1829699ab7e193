package bot

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestListGuildsPagesWithAfter(t *testing.T) {
	t.Parallel()
	var guilds []*discordgo.UserGuild
	for i := range 450 {
		guilds = append(guilds, &discordgo.UserGuild{ID: strconv.Itoa(1000 + i)})
	}
	var afters []string
	got, err := listGuilds(func(after string) ([]*discordgo.UserGuild, error) {
		afters = append(afters, after)
		i := 0
		for i < len(guilds) && after != "" && guilds[i].ID <= after {
			i++
		}
		return guilds[i:min(i+guildsPerPage, len(guilds))], nil
	})
	if err != nil || len(got) != 450 {
		t.Fatalf("got %d guilds, %v; want 450", len(got), err)
	}
	if want := []string{"", "1199", "1399"}; fmt.Sprint(afters) != fmt.Sprint(want) {
		t.Errorf("pages after %q, want %q", afters, want)
	}

	// A server that ignores after can't keep it going round.
	calls := 0
	got, err = listGuilds(func(string) ([]*discordgo.UserGuild, error) {
		calls++
		return guilds, nil
	})
	if err != nil || len(got) != 450 || calls != 2 {
		t.Errorf("ignoring after: %d guilds in %d calls, %v", len(got), calls, err)
	}

	boom := errors.New("boom")
	if _, err := listGuilds(func(string) ([]*discordgo.UserGuild, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
}
