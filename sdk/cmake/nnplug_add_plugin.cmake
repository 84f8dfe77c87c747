# nnplug_add_plugin(<target> SOURCES <files...> [CUDA_SOURCES <files.cu...>] [LINK <libs...>])
# Builds a loadable plugin module: no "lib" prefix, hidden visibility (only the nnplug_plugin_* entry points and
# the SDK's interface types are exported), linked against the SDK headers and nothing of the framework. The
# info record (ABI version, build fingerprint) is filled in by the NNPLUG_PLUGIN macro from the SDK headers.
#
# CUDA_SOURCES (kernels for the cuda backend, see custom_op.hpp) are compiled by nvcc where nnplug_enable_cuda()
# found it, and NNPLUG_PLUGIN_HAS_CUDA is then defined for the C++ sources, so that they register the CUDA kernels
# only then; elsewhere the plugin builds without them. The .cu files see no SDK header (nvcc cannot compile all of
# them): they export plain launch functions over pointers and a cudaStream_t, which the C++ sources wrap.
#
# Where the module goes: ${NNPLUG_PLUGIN_OUTPUT_DIR} when set (nnplug's own tree sets it), else the target's
# default output folder; `cmake --install` puts it in <prefix>/lib/nnplug/plugins (or NNPLUG_PLUGIN_INSTALL_DIR),
# where an nnplug installed in the same prefix finds it.
# nnplug_enable_cuda(): call it at the top level of the plugin's CMakeLists.txt, before nnplug_add_plugin(). Sets
# NNPLUG_HAS_CUDA to whether nvcc was found (on PATH, in CUDACXX, or at /usr/local/cuda); -DNNPLUG_PLUGIN_CUDA=OFF
# builds without CUDA anyway. CMAKE_CUDA_ARCHITECTURES defaults to 90 (H100, H200).
macro(nnplug_enable_cuda)
  option(NNPLUG_PLUGIN_CUDA "Build the CUDA kernels of plugins where nvcc is found" ON)
  set(NNPLUG_HAS_CUDA OFF)
  if(NNPLUG_PLUGIN_CUDA)
    include(CheckLanguage)
    if(NOT DEFINED CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
      set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
    endif()
    check_language(CUDA)
  endif()
  if(NNPLUG_PLUGIN_CUDA AND CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 does not know nvcc 13's flag for C++20, which the SDK's cxx_std_20 asks of a plugin's CUDA objects.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    find_package(CUDAToolkit REQUIRED)
    set(NNPLUG_HAS_CUDA ON)
  else()
    message(STATUS "nnplug: no CUDA compiler (or NNPLUG_PLUGIN_CUDA is OFF): plugins build without their CUDA kernels")
  endif()
endmacro()

function(nnplug_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;CUDA_SOURCES;LINK" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE nnplug::sdk ${ARG_LINK})
  if(ARG_CUDA_SOURCES AND NNPLUG_HAS_CUDA)
    # An object library of their own, without the SDK's include folders (nlohmann_json's -isystem /usr/include
    # hides libstdc++'s math.h from nvcc).
    add_library(${target}_cuda OBJECT ${ARG_CUDA_SOURCES})
    set_target_properties(${target}_cuda PROPERTIES POSITION_INDEPENDENT_CODE ON CUDA_RUNTIME_LIBRARY Shared)
    target_link_libraries(${target}_cuda PRIVATE CUDA::cudart)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:${target}_cuda>)
    target_link_libraries(${target} PRIVATE CUDA::cudart)
    target_compile_definitions(${target} PRIVATE NNPLUG_PLUGIN_HAS_CUDA=1)
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "${CUDAToolkit_LIBRARY_DIR}" BUILD_RPATH "${CUDAToolkit_LIBRARY_DIR}")
  endif()
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
