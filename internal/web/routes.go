package web

import "github.com/gofiber/fiber/v2"

// Routes is how every HTTP package hands its routes to the server: the
// wiring (package app) calls Register once per package at start-up.
type Routes interface {
	Register(r fiber.Router)
}

// RoutesFunc adapts a function to Routes.
type RoutesFunc func(r fiber.Router)

// Register calls f.
func (f RoutesFunc) Register(r fiber.Router) { f(r) }
