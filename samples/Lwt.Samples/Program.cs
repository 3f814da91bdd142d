// Lwt.Samples: `dotnet run --project samples/Lwt.Samples [COMMAND [ARGS...]]`.
// Without a command, runs the tour. The commands are listed in Samples.cs,
// one class per command in its own file.

return Lwt.Samples.Samples.Dispatch(args);
