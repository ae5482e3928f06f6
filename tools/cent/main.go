// Command cent is Centuria's monorepo tool: project graph, affected, boundary
// lint, a cached parallel task runner, images and supply-chain checks for Go
// workspaces. `cent deploy` runs the cent-deploy binary (see cmd/cent-deploy).
package main

import "github.com/centuria/centuria/tools/cent/internal/commands"

func main() { commands.Main() }
