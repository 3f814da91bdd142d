using Lwt;
Promise.AsyncExceptionHook = e => H.Pr("HOOK " + H.ShowExn(e));
if (args.Length > 0 && args[0] == "loop")
    LwtMain.Run(() => { Progs.RunAll(); return Promise.ReturnUnit; });
else
    Progs.RunAll();
Console.Out.Write(H.Out.ToString());
