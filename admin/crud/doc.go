// Package crud is the admin's generic CRUD framework, modelled on Django's
// ModelAdmin and AdminSite: a Resource declares one model once, both sides
// (its list: columns, filters, search, sort allowlist, bulk actions; its
// form: fields, validation through Clean, where its rows live through
// Kind), and Site serves every resource with the same pages: the list,
// the form, the one save path (validate, insert or update, snapshot before
// and after with store.SnapshotBy, store.Audit, all in one store.Tx), the
// delete confirmation listing what goes with it (each deletion logged
// before it happens) and each object's history.
//
// # Never
//
// This package never names a model (no "if the resource is events"): what
// differs between models is declared on the Resource, and the framework
// reads it. It never runs SQL of its own (store runs the declared
// expressions, request values only ever as parameters) and never imports
// the resources, the console or the dashboard.
package crud
