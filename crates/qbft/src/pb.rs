//! Protobuf wire types generated from `proto/` (packages `core.corepb.v1` and
//! `google.protobuf`), for transport only: hashing never uses prost's encoder,
//! see [`crate::encoding`].
#![allow(missing_docs, unreachable_pub, clippy::all)]

/// `core.corepb.v1`.
pub mod core {
    /// `core.corepb`.
    pub mod corepb {
        /// `core.corepb.v1`.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/core.corepb.v1.rs"));
        }
    }
}

/// `app.peerinfo.peerinfopb.v1`.
pub mod app {
    /// `app.peerinfo`.
    pub mod peerinfo {
        /// `app.peerinfo.peerinfopb`.
        pub mod peerinfopb {
            /// `app.peerinfo.peerinfopb.v1`.
            pub mod v1 {
                include!(concat!(env!("OUT_DIR"), "/app.peerinfo.peerinfopb.v1.rs"));
            }
        }
    }
}

pub use self::app::peerinfo::peerinfopb::v1::PeerInfo;

/// `google.protobuf` well-known types used by the DV protos.
pub mod google {
    /// `google.protobuf`.
    pub mod protobuf {
        include!(concat!(env!("OUT_DIR"), "/google.protobuf.rs"));
    }
}

pub use self::core::corepb::v1::*;
pub use self::google::protobuf::Any;
