// Command cent-deploy is cent with the deploy verb: it links Helm and the
// Kubernetes API types, which cent leaves out so that its own start stays
// fast. `cent deploy ...` runs it; it also runs every other cent verb.
//
// Install it next to cent:
//
//	go install github.com/centuria/centuria/tools/cent/cmd/cent-deploy@latest
package main

import (
	"github.com/centuria/centuria/tools/cent/internal/commands"
	_ "github.com/centuria/centuria/tools/cent/internal/deploycmd" // registers deploy
)

func main() { commands.Main() }
