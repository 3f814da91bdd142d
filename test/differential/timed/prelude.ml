(* Prelude of the timed area's OCaml programs (gen.py prepends it to progs.ml). *)
open Lwt.Infix
exception E of int

(* Every trace line starts with [slot]: the time since the program's start in units of
   !unit_s, rounded. Programs are generated so that distinct events are at least one unit
   apart (see gen.py), so the slot only says which events were simultaneous. *)
let unit_s = ref 0.06
let bufs : Buffer.t array = Array.init 4000 (fun _ -> Buffer.create 256)

let exn_name = function
  | E n -> "E" ^ string_of_int n
  | Lwt.Canceled -> "Canceled"
  | Lwt_unix.Timeout -> "Timeout"
  | Invalid_argument _ -> "Invalid_argument"
  | e -> "other:" ^ Printexc.to_string e

(* t0: the program's start (programs run together start each at its own time). *)
type ctx = { id : int; states : (unit -> string) array; cancels : (unit -> unit) array;
             mutable extra : (unit -> unit) list; mutable t0 : float }
let mk id = { id; states = Array.make 64 (fun () -> "none"); cancels = Array.make 64 (fun () -> ());
              extra = []; t0 = 0. }
let start c = c.t0 <- Unix.gettimeofday ()
let slot c = int_of_float (Float.round ((Unix.gettimeofday () -. c.t0) /. !unit_s))
let log c s = Buffer.add_string bufs.(c.id) (Printf.sprintf "[%d] %s\n" (slot c) s)

let show_unit () = "()"
let show_int = string_of_int
let show_bool b = if b then "true" else "false"
let state p show = match Lwt.state p with
  | Lwt.Sleep -> "pending" | Lwt.Return v -> "ok " ^ show v | Lwt.Fail e -> "err " ^ exn_name e

(* Slot k holds promise p: one callback on p logs its resolution. *)
let watch c k p show =
  c.states.(k) <- (fun () -> state p show);
  c.cancels.(k) <- (fun () -> Lwt.cancel p);
  Lwt.on_any p (fun v -> log c (Printf.sprintf "p%d -> ok %s" k (show v)))
    (fun e -> log c (Printf.sprintf "p%d -> err %s" k (exn_name e)))

(* A promise to cancel when the program ends (so no timer outlives its program). *)
let keep c p = c.extra <- (fun () -> Lwt.cancel p) :: c.extra

let cancel c k = log c (Printf.sprintf "cancel p%d" k); c.cancels.(k) ()
let st c k = log c (Printf.sprintf "state p%d %s" k (c.states.(k) ()))

(* The end of a program: states of every slot, then cancel what is left. *)
let finish c n =
  log c "end";
  for k = 0 to n - 1 do log c (Printf.sprintf "final p%d %s" k (c.states.(k) ())) done;
  for k = 0 to n - 1 do c.cancels.(k) () done;
  List.iter (fun f -> f ()) (List.rev c.extra);
  Lwt.abandon_paused ()

let run_seq c n main =
  start c;
  (try Lwt_main.run (Lwt.return_unit >>= main) with e -> log c ("run raised " ^ exn_name e));
  finish c n

(* Lwt_timeout: one handler for all programs; the exception says which program raised. *)
exception TE of int * int
let tctxs : ctx array = Array.init 4000 mk
let () = Lwt_timeout.set_exn_handler (function
  | TE (p, n) -> log tctxs.(p) (Printf.sprintf "handler E%d" n)
  | e -> prerr_endline ("timeout handler: " ^ Printexc.to_string e))
let tmo_create c k d f =
  match Lwt_timeout.create d f with
  | t -> Some t
  | exception e -> log c (Printf.sprintf "create t%d %s" k (exn_name e)); None
let tmo_do c k name f = function
  | None -> log c (Printf.sprintf "%s t%d none" name k)
  | Some t -> (try f t with e -> log c (Printf.sprintf "%s t%d %s" name k (exn_name e)))

module Thr = Lwt_throttle.Make (struct type t = int let equal = ( = ) let hash = Hashtbl.hash end)

(* The first run also starts libev's clock, which main () would otherwise read stale. *)
let warm_up () = Lwt_main.run (Lwt_unix.sleep 0.01)
