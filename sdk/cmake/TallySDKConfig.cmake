# find_package(TallySDK) for out-of-tree plugin authors.
include("${CMAKE_CURRENT_LIST_DIR}/TallySDKTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/TallyPlugin.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/TallyPluginCases.cmake")
