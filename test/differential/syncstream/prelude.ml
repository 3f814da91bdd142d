[@@@ocaml.warning "-3-26-27-32-33-35-37-39"]
open Lwt.Infix
exception E of int
let quiet = ref false
let log s = if not !quiet then print_endline s
let exn_name = function
  | E n -> "E" ^ string_of_int n
  | Lwt.Canceled -> "Canceled"
  | Lwt_stream.Closed -> "Closed"
  | Lwt_stream.Full -> "Full"
  | Lwt_stream.Empty -> "Empty"
  | Lwt_switch.Off -> "Off"
  | Invalid_argument _ -> "Invalid_argument"
  | e -> "other:" ^ Printexc.to_string e
let show_int = string_of_int
let show_unit () = "()"
let show_bool = string_of_bool
let show_opt f = function None -> "None" | Some x -> "Some " ^ f x
let show_list f l = "[" ^ String.concat ";" (List.map f l) ^ "]"
let state show p = match Lwt.state p with
  | Lwt.Return v -> "ok " ^ show v
  | Lwt.Fail e -> "err " ^ exn_name e
  | Lwt.Sleep -> "pending"
let slots : (unit -> string) option array = Array.make 200 None
let cancels : (unit -> unit) array = Array.make 200 (fun () -> ())
let reg k show p =
  slots.(k) <- Some (fun () -> state show p);
  cancels.(k) <- (fun () -> Lwt.cancel p);
  Lwt.on_termination p (fun () -> log (Printf.sprintf "  p%d -> %s" k (state show p)))
let cancel k = match slots.(k) with
  | None -> log "  no slot"
  | Some _ -> cancels.(k) ()
let rs : (int Lwt.t * int Lwt.u) option array = Array.make 200 None
let nr = ref 0
let new_r () =
  let (p, r) = Lwt.task () in
  let j = !nr in incr nr; rs.(j) <- Some (p, r);
  log (Printf.sprintf "  (r%d)" j); p
let resolve j v now = match rs.(j) with
  | Some (p, r) when Lwt.is_sleeping p -> if now then Lwt.wakeup r v else Lwt.wakeup_later r v
  | _ -> log "  r not pending"
let reject j n = match rs.(j) with
  | Some (p, r) when Lwt.is_sleeping p -> Lwt.wakeup_later_exn r (E n)
  | _ -> log "  r not pending"
let act name kind arg : int Lwt.t =
  log ("  cb " ^ name);
  match kind with
  | 0 -> Lwt.return arg
  | 1 -> Lwt.fail (E arg)
  | 2 -> new_r ()
  | 3 -> Lwt.pause () >|= fun () -> arg
  | _ -> raise (E arg)
let act_u name kind arg = act name kind arg >|= fun _ -> ()
let act_b name kind arg x =
  let a = if kind = 0 || kind = 3 then (if x < arg then 1 else 0) else arg in
  act name kind a >|= fun v -> v mod 2 <> 0
let step i desc f =
  log (Printf.sprintf "step %d %s" i desc);
  (try f () with e -> log ("  raise " ^ exn_name e))
let begin_prog n =
  Array.fill slots 0 200 None;
  Array.fill rs 0 200 None;
  nr := 0;
  log (Printf.sprintf "=== prog %d" n)
let end_prog () =
  Array.iteri (fun k s -> match s with Some f -> log (Printf.sprintf "final p%d = %s" k (f ())) | None -> ()) slots;
  quiet := true;
  Lwt.abandon_paused ();
  quiet := false
let () = Lwt.async_exception_hook := (fun e -> log ("  async_exn " ^ exn_name e))
