val run : 'a Lwt.t -> 'a
