# nnplug_add_plugin(<target> SOURCES <files...> [LINK <libs...>])
# Builds a loadable plugin module: no "lib" prefix, hidden visibility (only the nnplug_plugin_* entry points and
# the SDK's interface types are exported), linked against the SDK headers and nothing of the framework.
function(nnplug_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE nnplug::sdk ${ARG_LINK})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${NNPLUG_PLUGIN_OUTPUT_DIR})
  # A plugin must not depend on symbols it does not bring: fail at link time, not at load time.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set_property(GLOBAL APPEND PROPERTY NNPLUG_PLUGIN_TARGETS ${target})
  if(NNPLUG_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${NNPLUG_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
