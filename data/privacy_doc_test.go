package data

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// privacyDoc is the privacy policy an operator publishes; it must name
// every table and column the schema has.
const privacyDoc = "../PRIVACY.md"

var (
	// A table's section: ### `name` — what it is
	docTable = regexp.MustCompile("^### `([a-z_][a-z0-9_]*)`")
	// A column's row in the section's table: | `name` | what it holds |
	docColumn = regexp.MustCompile("^\\| `([a-z_][a-z0-9_]*)` \\|")
)

// documented reads PRIVACY.md's tables and their columns, in order.
func documented(t *testing.T) map[string][]string {
	t.Helper()
	text, err := os.ReadFile(privacyDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string][]string{}
	table := ""
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "#") {
			table = ""
			if m := docTable.FindStringSubmatch(line); m != nil {
				table = m[1]
				if _, dup := doc[table]; dup {
					t.Errorf("%s: table %s has two sections", privacyDoc, table)
				}
				doc[table] = []string{}
			}
			continue
		}
		if m := docColumn.FindStringSubmatch(line); m != nil && table != "" {
			doc[table] = append(doc[table], m[1])
		}
	}
	return doc
}

// TestPrivacyDocMatchesSchema: PRIVACY.md describes every table and column
// of a freshly migrated database, and nothing that isn't there. A new column
// needs a row in its table's section (and a new table a section, with how
// long it is kept) before this passes.
func TestPrivacyDocMatchesSchema(t *testing.T) {
	s := MustOpen(t)
	rows, err := s.r.Query(`SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	schema := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		schema[table] = append(schema[table], column)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(schema) == 0 {
		t.Fatal("no tables in a migrated database")
	}

	doc := documented(t)
	for table, cols := range schema {
		dcols, ok := doc[table]
		if !ok {
			t.Errorf("%s has no section for table %s: add \"### `%s` — what it is\", how long it is kept, and a row \"| `column` | what it holds |\" for each of its columns: %s",
				privacyDoc, table, table, strings.Join(cols, ", "))
			continue
		}
		for _, c := range cols {
			if !slices.Contains(dcols, c) {
				t.Errorf("%s doesn't mention column %s.%s: add \"| `%s` | what it holds |\" to the section of %s (and say how long it is kept if that differs)",
					privacyDoc, table, c, c, table)
			}
		}
		for _, c := range dcols {
			if !slices.Contains(cols, c) {
				t.Errorf("%s describes %s.%s, which the schema doesn't have", privacyDoc, table, c)
			}
		}
	}
	for table := range doc {
		if _, ok := schema[table]; !ok {
			t.Errorf("%s has a section for table %s, which the schema doesn't have", privacyDoc, table)
		}
	}
}
