package lambdas_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"parley/internal/channel"
	"parley/internal/httpapi"
	"parley/internal/lambdas"
	"parley/internal/routes"
)

// The routes table is what API Gateway is given; every route must have a
// handler, and every handler must be reachable through a route.
func TestEveryHTTPRouteHasAHandler(t *testing.T) {
	api := httpapi.NewAPI(nil)
	// The channels' routes are registered only with their endpoints.
	httpapi.Register(api, httpapi.Deps{Channels: &channel.Endpoints{}})
	registered := api.RouteKeys()
	var tableKeys []string
	for _, r := range routes.HTTP {
		if r.Function != routes.FnAPI {
			continue
		}
		tableKeys = append(tableKeys, r.RouteKey())
		if !slices.Contains(registered, r.RouteKey()) {
			t.Errorf("route %s has no handler", r.RouteKey())
		}
	}
	for _, k := range registered {
		if !slices.Contains(tableKeys, k) {
			t.Errorf("handler %s is not in the routes table, so API Gateway would never call it", k)
		}
	}
}

func TestEveryFunctionHasAMainAndAHandler(t *testing.T) {
	root := "../.."
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, d := range dirs {
		if d.IsDir() {
			folders = append(folders, d.Name())
		}
	}
	for _, f := range routes.Functions {
		if !slices.Contains(folders, f.Name) {
			t.Errorf("function %s has no functions/%s folder", f.Name, f.Name)
		}
		main, err := os.ReadFile(filepath.Join(root, "functions", f.Name, "main.go"))
		if err != nil || !strings.Contains(string(main), "lambdas.Main(") {
			t.Errorf("functions/%s/main.go does not call lambdas.Main", f.Name)
		}
		d := lambdas.Deps{TokenKey: []byte(strings.Repeat("k", 32))}
		if _, err := lambdas.Handler(f.Name, d); err != nil {
			t.Errorf("Handler(%s): %v", f.Name, err)
		}
	}
	if len(folders) != len(routes.Functions) {
		t.Errorf("functions/ has %d folders, the routes table %d functions", len(folders), len(routes.Functions))
	}
	for _, list := range [][]string{wsFunctions(), streamFunctions(), scheduleFunctions()} {
		for _, fn := range list {
			if _, ok := routes.FunctionByName(fn); !ok {
				t.Errorf("a trigger names unknown function %s", fn)
			}
		}
	}
}

func wsFunctions() (out []string) {
	for _, r := range routes.WebSocket {
		out = append(out, r.Function)
	}
	return out
}

func streamFunctions() (out []string) {
	for _, s := range routes.Streams {
		out = append(out, s.Function)
	}
	return out
}

func scheduleFunctions() (out []string) {
	for _, s := range routes.Schedules {
		out = append(out, s.Function)
	}
	return out
}
