//! A DNS server on loopback for the tests: it answers TXT questions from
//! records the tests publish, NXDOMAIN for any other name — as an
//! authoritative server for the organizations' domains would. One per test
//! binary, on its own thread (each test has its own runtime).

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex, OnceLock};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};

pub struct TestDns {
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl TestDns {
    pub fn shared() -> &'static TestDns {
        static DNS: OnceLock<TestDns> = OnceLock::new();
        DNS.get_or_init(|| {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("a UDP port on loopback");
            let addr = socket.local_addr().unwrap();
            let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
            let served = records.clone();
            std::thread::spawn(move || serve(&socket, &served));
            TestDns { addr, records }
        })
    }

    /// Publishes a TXT record (besides those the name has).
    pub fn publish_txt(&self, name: &str, value: &str) {
        self.records
            .lock()
            .unwrap()
            .entry(key(name))
            .or_default()
            .push(value.to_owned());
    }

    pub fn withdraw(&self, name: &str) {
        self.records.lock().unwrap().remove(&key(name));
    }
}

fn serve(socket: &UdpSocket, records: &Mutex<HashMap<String, Vec<String>>>) {
    let mut buf = [0u8; 1500];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let Ok(query) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        let mut answer = Message::new();
        answer
            .set_id(query.id())
            .set_message_type(MessageType::Response)
            .set_op_code(query.op_code())
            .set_recursion_desired(query.recursion_desired())
            .set_recursion_available(true)
            .set_authoritative(true);
        let mut found = false;
        for question in query.queries() {
            answer.add_query(question.clone());
            let name = question.name().to_ascii();
            let values = records.lock().unwrap().get(&key(&name)).cloned();
            if let Some(values) = values {
                found = true;
                if question.query_type() == RecordType::TXT {
                    for value in values {
                        answer.add_answer(Record::from_rdata(
                            question.name().clone(),
                            60,
                            RData::TXT(TXT::new(vec![value])),
                        ));
                    }
                }
            }
        }
        answer.set_response_code(if found {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        });
        if let Ok(bytes) = answer.to_vec() {
            let _ = socket.send_to(&bytes, from);
        }
    }
}
