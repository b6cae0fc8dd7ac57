package auth

// Role is what a signed-in person may do in an account. Visitors are not a
// role: they never reach the HTTP API's authorised routes.
type Role string

// The roles of SPEC §1, from least to most powerful.
const (
	Operator      Role = "operator"
	Supervisor    Role = "supervisor"
	Administrator Role = "administrator"
)

// Staff is every signed-in role.
var Staff = []Role{Operator, Supervisor, Administrator}

// Admins is the administrator role alone.
var Admins = []Role{Administrator}

// Managers are the roles that manage people's assignments (departments,
// chat limits): supervisors and administrators.
var Managers = []Role{Supervisor, Administrator}
