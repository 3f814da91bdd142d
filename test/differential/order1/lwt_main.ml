(* Lwt_main.run of Lwt 5.6.1 for order1/build.sh, without an engine (the programs built with
   it do no I/O and set no timer): wake the paused promises, then look at the promise (5.6.1
   wakes first, README timed), until it is resolved. Where the real loop would block for ever,
   this one fails at once. *)
let run p =
  let rec loop () =
    Lwt.wakeup_paused ();
    match Lwt.state p with
    | Lwt.Return v -> v
    | Lwt.Fail e -> raise e
    | Lwt.Sleep ->
      if Lwt.paused_count () = 0 then failwith "order1 Lwt_main.run: nothing left to run" else loop ()
  in
  loop ()
