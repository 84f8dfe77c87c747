#pragma once
// Symbols that must be shared between the host and plugins (exception types, interfaces with RTTI) keep default
// visibility even when a plugin is compiled with -fvisibility=hidden, so that a `catch (nnplug::Error&)` in the
// host matches an exception thrown inside a plugin.
#define NNPLUG_API __attribute__((visibility("default")))
