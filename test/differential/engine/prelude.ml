(* Runtime of the engine area's OCaml programs (gen.py appends the programs and the main);
   mirrors Rt.cs. A program is a line of steps separated by ';' (the grammar is in gen.py),
   interpreted here against Lwt_engine 5.6.1 directly (no Lwt_main). *)
(* Callbacks run from callbacks (fake_io) print 2 more spaces per level. *)
let depth = ref 0
let pr fmt = Printf.ksprintf (fun s ->
    if !depth > 1 then print_string (String.make (2 * (!depth - 1)) ' ');
    print_string s; print_char '\n'; flush stdout) fmt

(* Lwt_engine.poll_based, its poll written with Unix.select (the entries come back in their
   order, only the ready ones). *)
class my_poll = object
  inherit Lwt_engine.poll_based
  method private poll fds timeout =
    let rs = List.filter_map (fun (fd, r, _) -> if r then Some fd else None) fds in
    let ws = List.filter_map (fun (fd, _, w) -> if w then Some fd else None) fds in
    let rr, ww, _ = Unix.select rs ws [] timeout in
    List.filter_map (fun (fd, r, w) ->
        let r = r && List.mem fd rr and w = w && List.mem fd ww in
        if r || w then Some (fd, r, w) else None) fds
end

(* Lwt_engine.select_based over Unix.select (what Lwt_engine.select is). *)
class my_select = object
  inherit Lwt_engine.select_based
  method private select r w t = let r, w, _ = Unix.select r w [] t in (r, w)
end

let mk = function
  | "ep" -> (new Lwt_engine.libev () :> Lwt_engine.t)
  | "po" -> (new Lwt_engine.select :> Lwt_engine.t)
  | "sb" -> (new my_select :> Lwt_engine.t)
  | "pb" -> (new my_poll :> Lwt_engine.t)
  | k -> failwith ("engine " ^ k)

let errno = function
  | Unix.EBADF -> "EBADF" | Unix.EPERM -> "EPERM" | Unix.EINVAL -> "EINVAL"
  | Unix.EEXIST -> "EEXIST" | Unix.ENOENT -> "ENOENT" | Unix.EAGAIN -> "EAGAIN"
  | Unix.EPIPE -> "EPIPE" | _ -> "E?"

let exn = function
  | Failure s -> "Failure " ^ s
  | Unix.Unix_error (e, _, _) -> "Unix " ^ errno e
  | e -> "other " ^ Printexc.to_string e

let orig = Lwt_engine.get ()
let () = Sys.set_signal Sys.sigpipe Sys.Signal_ignore

(* After a transfer Lwt's callback receives the event the destination returned, whose record
   the user's event was set to (ev := !ev'): the same event for stop_event, a different ref. *)
let same (a : Lwt_engine.event) (b : Lwt_engine.event) =
  !(Obj.magic a : Obj.t ref) == !(Obj.magic b : Obj.t ref)

let words s = List.filter (( <> ) "") (String.split_on_char ' ' (String.trim s))

let run_prog k text =
  pr "== %d" k;
  let steps = List.map words (String.split_on_char ';' text) in
  let kinds = match steps with ("eng" :: a :: b :: _) :: _ -> (a, b) | _ -> failwith "eng" in
  let e1 = mk (fst kinds) and e2 = mk (snd kinds) in
  let dead = Hashtbl.create 2 in (* destroyed engines *)
  let cur = ref e1 and other = ref e2 in
  let pipes = Array.init 3 (fun _ -> let r, w = Unix.pipe ~cloexec:true () in
                             Unix.set_nonblock r; Unix.set_nonblock w; (r, w)) in
  let closed = Hashtbl.create 4 in
  let fd_of side p = let r, w = pipes.(int_of_string p) in if side = "r" then r else w in
  let evs : (string, Lwt_engine.event) Hashtbl.t = Hashtbl.create 8 in
  let buf = Bytes.create 64 in
  let drain p =
    let r, _ = pipes.(int_of_string p) in
    let n = ref 0 in
    (try
       let rec go () = let m = Unix.read r buf 0 64 in n := !n + m; if m > 0 then go () in go ()
     with Unix.Unix_error ((Unix.EAGAIN | Unix.EWOULDBLOCK), _, _) -> ()
        | e -> pr "    drain %s" (exn e));
    !n in
  let write p =
    let _, w = pipes.(int_of_string p) in
    try ignore (Unix.write_substring w "x" 0 1) with e -> pr "    write %s" (exn e) in
  (* Lwt counts a one-shot timer that fired until it is stopped (its node stays in the engine's
     sequence); ours drops it when it fires (LwtEngine.TimerCount's doc). The count printed leaves
     out those fired and not stopped since, in the engine that fired them (README). *)
  let oneshot = Hashtbl.create 8 and fired = ref [] in (* (event's record, engine id) *)
  let key (ev : Lwt_engine.event) = !(Obj.magic ev : Obj.t ref) in
  let nfired (e : Lwt_engine.t) = List.length (List.filter (fun (_, id) -> id = Oo.id e) !fired) in
  let counts (e : Lwt_engine.t) =
    Printf.sprintf "%d %d %d" e#readable_count e#writable_count (e#timer_count - nfired e) in
  let stop ev = fired := List.filter (fun (k, _) -> k != key ev) !fired; Lwt_engine.stop_event ev in
  (* Lwt's transfer registers again the one-shot timers that fired and were not stopped, which
     then fire again (ours moves only live events): printed on both sides to classify (cmp.py). *)
  let note_fired (e : Lwt_engine.t) = let n = nfired e in if n > 0 then pr "  (fired one-shots: %d)" n in
  let forget (e : Lwt_engine.t) =
    fired := List.filter (fun (_, id) -> id <> Oo.id e) !fired in
  let rec mkcb name acts = fun ev ->
    incr depth;
    Fun.protect ~finally:(fun () -> decr depth) @@ fun () ->
    pr "  cb %s %s" name
      (match Hashtbl.find_opt evs name with Some e when same e ev -> "own" | _ -> "other");
    if Hashtbl.mem oneshot name && not (List.exists (fun (k, _) -> k == key ev) !fired) then
      fired := (key ev, Oo.id !cur) :: !fired;
    List.iter (fun a ->
        match String.split_on_char ':' a with
        | ["ss"] -> pr "    stop self"; stop ev
        | ["s"; n] -> pr "    stop %s" n;
          (match Hashtbl.find_opt evs n with Some e -> stop e | None -> pr "    unknown")
        | ["on"; side; p; n] -> pr "    on %s %s %s" side p n; reg side p n []
        | ["tm"; d; n] -> pr "    tm %s %s" d n; timer d false n []
        | ["dr"; p] -> pr "    drain %s: %d" p (drain p)
        | ["wr"; p] -> pr "    write %s" p; write p
        | ["fk"; side; p] ->
          pr "    fake %s %s" side p;
          (try !cur#fake_io (fd_of side p); pr "    fake done" with e -> pr "    fake exn %s" (exn e))
        | ["rz"] -> pr "    raise"; failwith ("boom " ^ name)
        | ["cnt"] -> pr "    = %s" (counts !cur)
        | _ -> failwith ("act " ^ a)) acts
  and reg side p name acts =
    (* r: readable on the read end; w: writable on the write end; x: writable on the read end *)
    let e = !cur in
    try
      let ev = match side with
        | "r" -> e#on_readable (fd_of "r" p) (mkcb name acts)
        | "w" -> e#on_writable (fd_of "w" p) (mkcb name acts)
        | _ -> e#on_writable (fd_of "r" p) (mkcb name acts) in
      Hashtbl.replace evs name ev
    with ex -> pr "    reg %s exn %s" name (exn ex)
  and timer d rep name acts =
    let delay = match d with "far" -> 1e6 | d -> float_of_string d in
    let ev = !cur#on_timer delay rep (mkcb name acts) in
    if not rep then Hashtbl.replace oneshot name ();
    Hashtbl.replace evs name ev in
  let acts_of s = if s = "-" then [] else String.split_on_char '+' s in
  let guard = ref 0 in
  Lwt_engine.set ~transfer:false ~destroy:false e1;
  pr "eng %s %s" (fst kinds) (snd kinds);
  List.iteri (fun i step ->
      if i > 0 then begin
        pr "%s" (String.concat " " step);
        (match step with
         | ["on"; side; p; name; acts] -> reg side p name (acts_of acts)
         | ["tm"; d; rep; name; acts] -> timer d (rep = "1") name (acts_of acts)
         | ["wr"; p] -> write p
         | ["dr"; p] -> pr "  drained %d" (drain p)
         | ["st"; n] ->
           (match Hashtbl.find_opt evs n with Some e -> stop e | None -> pr "  unknown")
         | ["fk"; side; p] ->
           (try !cur#fake_io (fd_of side p); pr "  fake done" with e -> pr "  fake exn %s" (exn e))
         | ["it"; b] ->
           let g = if b = "1" then begin
               incr guard;
               let n = Printf.sprintf "g%d" !guard in
               timer "0" false n []; Some n end else None in
           (try !cur#iter (b = "1"); pr "  iter done" with e -> pr "  iter exn %s" (exn e));
           (match g with Some n -> stop (Hashtbl.find evs n) | None -> ())
         | ["cl"; side; p] ->
           let fd = fd_of side p in
           if Hashtbl.mem closed fd then pr "  already closed"
           else (Hashtbl.replace closed fd (); Unix.close fd)
         | ["tr"] ->
           note_fired !cur;
           (try !cur#transfer (!other :> Lwt_engine.abstract); forget !cur; pr "  transferred"
            with e -> pr "  transfer exn %s" (exn e));
           pr "  old = %s" (counts !cur);
           let o = !cur in cur := !other; other := o
         | ["set"; t; d] ->
           if t = "1" then note_fired !cur;
           (try
              Lwt_engine.set ~transfer:(t = "1") ~destroy:(d = "1") !other;
              if t = "1" || d = "1" then forget !cur;
              if d = "1" then Hashtbl.replace dead (Oo.id !cur) ();
              pr "  set; current is new: %b" (Lwt_engine.get () == !other);
              pr "  old = %s" (counts !cur);
              let o = !cur in cur := !other; other := o
            with e -> pr "  set exn %s" (exn e))
         | ["ds"] -> !cur#destroy; forget !cur; Hashtbl.replace dead (Oo.id !cur) ()
         | _ -> failwith ("step " ^ String.concat " " step));
        pr "  = %s" (counts !cur)
      end) steps;
  Lwt_engine.set ~transfer:false ~destroy:false orig;
  List.iter (fun (e : Lwt_engine.t) -> if not (Hashtbl.mem dead (Oo.id e)) then e#destroy) [e1; e2];
  Array.iter (fun (r, w) -> List.iter (fun fd -> if not (Hashtbl.mem closed fd) then Unix.close fd) [r; w]) pipes
