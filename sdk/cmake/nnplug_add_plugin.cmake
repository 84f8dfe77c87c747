# nnplug_add_plugin(<target> SOURCES <files...> [LINK <libs...>])
# Builds a loadable plugin module: no "lib" prefix, hidden visibility (only the nnplug_plugin_* entry points and
# the SDK's interface types are exported), linked against the SDK headers and nothing of the framework. The
# info record (ABI version, build fingerprint) is filled in by the NNPLUG_PLUGIN macro from the SDK headers.
#
# Where the module goes: ${NNPLUG_PLUGIN_OUTPUT_DIR} when set (nnplug's own tree sets it), else the target's
# default output folder; `cmake --install` puts it in <prefix>/lib/nnplug/plugins (or NNPLUG_PLUGIN_INSTALL_DIR),
# where an nnplug installed in the same prefix finds it.
function(nnplug_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE nnplug::sdk ${ARG_LINK})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NNPLUG_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${NNPLUG_PLUGIN_OUTPUT_DIR})
  endif()
  # Without a build type CMake adds no optimisation flag, and a plugin would run its loops unoptimised.
  target_compile_options(${target} PRIVATE $<$<AND:$<CONFIG:>,$<COMPILE_LANGUAGE:CXX>>:-O2>)
  # A plugin must not depend on symbols it does not bring: fail at link time, not at load time.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set_property(GLOBAL APPEND PROPERTY NNPLUG_PLUGIN_TARGETS ${target})
  set(destination lib/nnplug/plugins)
  if(DEFINED NNPLUG_PLUGIN_INSTALL_DIR)  # set to "" for plugins that must never be installed (test fixtures)
    set(destination "${NNPLUG_PLUGIN_INSTALL_DIR}")
  endif()
  if(destination)
    install(TARGETS ${target} LIBRARY DESTINATION ${destination})
  endif()
endfunction()
