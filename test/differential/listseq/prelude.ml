exception E of int
let pr s = print_string s; print_char '\n'
let show_exn = function
  | E n -> "E" ^ string_of_int n
  | Lwt.Canceled -> "Canceled"
  | Not_found -> "Not_found"
  | Invalid_argument _ -> "Invalid_argument"
  | e -> "X(" ^ Printexc.to_string e ^ ")"
let exn_code = function E n -> n | Lwt.Canceled -> -1 | Not_found -> -2 | _ -> -3

type beh = R of int | F of int | X of int | W | T | K of int | J of int
type slot = { sstate : unit -> string; sres : int -> bool -> unit; srej : int -> bool -> unit; scancel : unit -> unit }
let slots : (int, slot) Hashtbl.t = Hashtbl.create 16
let calls = ref 0
let behs = ref [||]

let state_str show p = match Lwt.state p with
  | Lwt.Return v -> "F(" ^ show v ^ ")"
  | Lwt.Fail e -> "R(" ^ show_exn e ^ ")"
  | Lwt.Sleep -> "P"

let kick_res = ref (fun _ -> ())
let kick_rej = ref (fun _ -> ())
let call (label : string) (conv : int -> 'a) (show : 'a -> string) : 'a Lwt.t =
  let c = !calls in
  incr calls;
  pr (Printf.sprintf "call%d %s" c label);
  let b = if c < Array.length !behs then (!behs).(c) else R c in
  match b with
  | R v -> Lwt.return (conv v)
  | F n -> Lwt.fail (E n)
  | X n -> raise (E n)
  | K l -> !kick_res (l = 1); Lwt.return (conv c)
  | J l -> !kick_rej (l = 1); Lwt.return (conv c)
  | W | T ->
    let p, u = if b = W then Lwt.wait () else Lwt.task () in
    Hashtbl.replace slots c {
      sstate = (fun () -> state_str show p);
      sres = (fun v later -> if later then Lwt.wakeup_later u (conv v) else Lwt.wakeup u (conv v));
      srej = (fun n later -> if later then Lwt.wakeup_later_exn u (E n) else Lwt.wakeup_exn u (E n));
      scancel = (fun () -> Lwt.cancel p) };
    p

let guard name f = try f () with e -> pr (name ^ " raised " ^ show_exn e)

let step_res c v later = match Hashtbl.find_opt slots c with
  | None -> pr (Printf.sprintf "res c%d: noslot" c)
  | Some s -> if s.sstate () <> "P" then pr (Printf.sprintf "res c%d: notpending" c)
    else (pr (Printf.sprintf "res c%d %d %b" c v later); guard "res" (fun () -> s.sres v later))
let step_rej c n later = match Hashtbl.find_opt slots c with
  | None -> pr (Printf.sprintf "rej c%d: noslot" c)
  | Some s -> if s.sstate () <> "P" then pr (Printf.sprintf "rej c%d: notpending" c)
    else (pr (Printf.sprintf "rej c%d E%d %b" c n later); guard "rej" (fun () -> s.srej n later))
let step_cancel_slot c = match Hashtbl.find_opt slots c with
  | None -> pr (Printf.sprintf "cancel c%d: noslot" c)
  | Some s -> pr (Printf.sprintf "cancel c%d" c); guard "cancel" s.scancel

let slots_str () =
  let n = !calls in
  let b = Buffer.create 32 in
  for c = 0 to n - 1 do
    match Hashtbl.find_opt slots c with
    | None -> ()
    | Some s -> Buffer.add_string b (Printf.sprintf " c%d=%s" c (s.sstate ()))
  done;
  Buffer.contents b

let checkpoint show p = pr ("  result=" ^ state_str show p ^ " |" ^ slots_str ())

let watch show p =
  Lwt.on_any p (fun v -> pr ("  done " ^ show v)) (fun e -> pr ("  failed " ^ show_exn e))

let reset id bs = pr ("== " ^ string_of_int id); Hashtbl.reset slots; calls := 0; behs := bs

let conv_unit _ = ()
let conv_int v = v
let conv_bool v = v mod 2 = 0
let conv_opt v = if v mod 3 = 0 then None else Some v
let conv_res v = if v mod 3 = 0 then Error v else Ok v
let s_unit () = "()"
let s_int = string_of_int
let s_bool = string_of_bool
let s_opt = function None -> "None" | Some v -> "Some " ^ string_of_int v
let s_list l = "[" ^ String.concat ";" (List.map string_of_int l) ^ "]"
let s_pair (a, b) = "(" ^ s_list a ^ "," ^ s_list b ^ ")"
let s_res = function Ok v -> "Ok " ^ string_of_int v | Error e -> "Error " ^ string_of_int e
let s_uo = function None -> "None" | Some (a, b) -> Printf.sprintf "Some (%d,%d)" a b
let nth_pending k =
  let l = ref [] in
  for c = !calls - 1 downto 0 do
    match Hashtbl.find_opt slots c with
    | Some s when s.sstate () = "P" -> l := c :: !l
    | _ -> ()
  done;
  List.nth_opt !l k
let step_resp k v later = match nth_pending k with None -> pr (Printf.sprintf "resp %d: none" k) | Some c -> step_res c v later
let step_rejp k n later = match nth_pending k with None -> pr (Printf.sprintf "rejp %d: none" k) | Some c -> step_rej c n later
let () =
  kick_res := (fun later -> pr "kick"; step_resp 0 7 later);
  kick_rej := (fun later -> pr "kick"; step_rejp 0 7 later)
