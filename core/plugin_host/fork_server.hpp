// tally-plugin-host as a fork server: started once by tally (already
// exec'd and relocated, libstdc++ loaded), it forks one child per plugin
// tally asks for (plugins/fork_protocol.hpp), reaps them and reports how each
// ended. A fork of this small, single-threaded process costs a fraction of a
// posix_spawn + exec + ld.so of a new one.
#pragma once

namespace tally::plugin_host {

// Serves tally's requests on the control socket (fd 3) until tally closes
// it; returns the process's exit code. In a forked child it does not return:
// the child runs the plugin (plugin_child.hpp) and exits.
int serve_forks();

}  // namespace tally::plugin_host
